package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/vbdt/vbdt/internal/config"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/number"
	"github.com/vbdt/vbdt/number/register"
	"github.com/vbdt/vbdt/sign"
)

// classify maps an error to its exit code and the hints that help a person past it.
func (a *app) classify(ctx context.Context, err error) (int, []string) {
	var usage usageError
	var partial partialError
	var probs *config.Problems
	var refused *sign.NotPermitted
	var badKey *config.KeyError
	var verdict verdictError
	var badEnvelope envelopeError
	var invalid invalidEnvelopes
	var broken brokenPDF
	switch {
	case isInterrupt(ctx, err):
		return ui.ExitInterrupted, nil
	case errors.As(err, &refused):
		hints := []string{"refused by " + refused.Permission}
		if refused.Hint != "" {
			hints = append(hints, refused.Hint)
		}
		return ui.ExitNotPermitted, hints
	case errors.As(err, &verdict):
		return ui.ExitVerifyFail, []string{"-v shows each signature's checks; --json or --html the whole report"}
	case errors.As(err, &badEnvelope), errors.As(err, &broken):
		return ui.ExitVerifyFail, nil
	case errors.As(err, &invalid):
		return ui.ExitVerifyFail, []string{"each finding names file:line:column and a rule; -v adds the element's path"}
	case errors.As(err, &badKey):
		return ui.ExitUsage, []string{a.configHint(badKey.Key)}
	case errors.As(err, &usage):
		return ui.ExitUsage, usage.hints
	case !a.ran: // cobra's own: an unknown command, a missing required flag
		return ui.ExitUsage, []string{helpHint}
	case errors.As(err, &probs):
		return ui.ExitUsage, []string{fmt.Sprintf("'vbdt config check %s' lists every problem of the configuration with its line", probs.File())}
	case errors.As(err, &partial):
		return ui.ExitPartial, []string{"the other items were done or skipped; --json lists each item's result"}
	case errors.Is(err, register.ErrInvalid), errors.Is(err, number.ErrMalformed):
		return ui.ExitUsage, nil
	case errors.Is(err, register.ErrUnavailable):
		return ui.ExitRegister, []string{"the register is set by register: in vbdt.yaml, $VBDT_REGISTER or --register"}
	case errors.Is(err, keys.ErrNoCgo):
		return ui.ExitKey, []string{"use a release built with cgo (linux/amd64), or a file: key"}
	case errors.Is(err, keys.ErrPINIncorrect):
		return ui.ExitKey, []string{"vbdt tries a PIN only once; check it before running again: tokens lock after a few wrong PINs"}
	case errors.Is(err, keys.ErrNoTerminal):
		return ui.ExitKey, []string{"set VBDT_PIN, or add pin-source=file:PATH to the key URI, or pin_source to the key profile"}
	case errors.Is(err, keys.ErrUnavailable):
		return ui.ExitKey, []string{"'vbdt keys list' shows the tokens and keys vbdt can see"}
	}
	return ui.ExitFailure, nil
}

// configHint says where a configuration key is set and how to check it.
func (a *app) configHint(key string) string {
	env := config.EnvVar(key)
	if env != "" && a.getenv(env) != "" {
		return fmt.Sprintf("%s comes from $%s: correct or unset it", key, env)
	}
	if a.cfg != nil && a.cfg.Path != "" {
		return fmt.Sprintf("set %s in %s, then run 'vbdt config check %s'", key, a.cfg.Path, a.cfg.Path)
	}
	where := "a vbdt.yaml ('vbdt config init' writes one)"
	if env != "" {
		where += " or $" + env
	}
	return fmt.Sprintf("no configuration file was found: set %s in %s, then run 'vbdt config check'", key, where)
}
