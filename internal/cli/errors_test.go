package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/vbdt/vbdt/internal/config"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/number/register"
	"github.com/vbdt/vbdt/sign"
)

// A hint names the fix for its error or is absent; the pointer to the command's help is for
// mistakes in flags and arguments only.
func TestHints(t *testing.T) {
	_, tzErr := config.Agency{TimeZone: "Mars/Olympus"}.Location()
	fromFile := "set agency.abbreviation in /etc/vbdt/vbdt.yaml, then run 'vbdt config check /etc/vbdt/vbdt.yaml'"
	for _, tc := range []struct {
		name  string
		err   error
		ran   bool
		env   map[string]string
		code  int
		hints []string
	}{
		{"cobra's own, before the command ran", errors.New(`unknown command "x" for "vbdt"`), false, nil, ui.ExitUsage, []string{helpHint}},
		{"a flag", usageErrorf("--date %q: use yyyy-mm-dd", "x"), true, nil, ui.ExitUsage, []string{helpHint}},
		{"a configuration key", configErrorf("agency.abbreviation", "agency.abbreviation is not set"), true, nil, ui.ExitUsage, []string{fromFile}},
		{"a configuration key from the environment", configErrorf("agency.abbreviation", "agency.abbreviation %q is wrong", "U-B"), true,
			map[string]string{"VBDT_AGENCY_ABBREVIATION": "U-B"}, ui.ExitUsage,
			[]string{"agency.abbreviation comes from $VBDT_AGENCY_ABBREVIATION: correct or unset it"}},
		{"a configuration key inside a usage error", usageErrorf("agency.time_zone: %v", tzErr), true, nil, ui.ExitUsage,
			[]string{"set agency.time_zone in /etc/vbdt/vbdt.yaml, then run 'vbdt config check /etc/vbdt/vbdt.yaml'"}},
		{"a refusal with its own hint", fmt.Errorf("a.pdf: %w", &sign.NotPermitted{Reason: "r", Permission: "DocMDP P=1", Hint: "sign a copy"}), true, nil,
			ui.ExitNotPermitted, []string{"refused by DocMDP P=1", "sign a copy"}},
		{"a register request", fmt.Errorf("%w: the summary is empty", register.ErrInvalid), true, nil, ui.ExitUsage, nil},
		{"a message that says it all", usageError{err: errors.New("vbdt.yaml: 2 error(s) in the configuration")}, true, nil, ui.ExitUsage, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testApp()
			a.getenv = func(k string) string { return tc.env[k] }
			a.cfg = &config.Config{Path: "/etc/vbdt/vbdt.yaml"}
			a.ran = tc.ran
			code, hints := a.classify(context.Background(), tc.err)
			if code != tc.code || !slices.Equal(hints, tc.hints) {
				t.Errorf("exit %d, hints %q; want exit %d, hints %q", code, hints, tc.code, tc.hints)
			}
		})
	}
}
