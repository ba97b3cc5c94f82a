package config

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vbdt/vbdt/internal/redact"
)

// Severity of a Problem.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Problem is one finding of Check, with its position in the file (Line 0: the whole file).
type Problem struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// Problems is the list of findings; as an error it reports the errors among them.
type Problems []Problem

// add records a problem. Its message may quote a value, so secrets in it are masked.
func (ps *Problems) add(file string, n *yaml.Node, sev Severity, format string, a ...any) {
	p := Problem{File: file, Severity: sev, Message: redact.String(fmt.Sprintf(format, a...))}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	}
	*ps = append(*ps, p)
}

// HasErrors reports whether any problem is an error (not only warnings).
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// File is the file the problems were found in.
func (ps Problems) File() string {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].File
}

func (ps *Problems) Error() string {
	var lines []string
	for _, p := range *ps {
		if p.Severity == Error {
			lines = append(lines, p.String())
		}
	}
	return "invalid configuration:\n" + strings.Join(lines, "\n")
}

// check walks the document against Config's shape, decodes it into cfg and validates values.
func check(ps *Problems, file string, root *yaml.Node, cfg *Config) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	budget := maxNodes
	shapeOK := walk(ps, file, doc, reflect.TypeOf(*cfg), "", &budget)
	if budget < 0 {
		return
	}
	// Decode what has the right shape (yaml.v3 goes on past type errors, which walk has
	// reported with their lines) so that values elsewhere are still checked.
	if err := doc.Decode(cfg); err != nil && shapeOK {
		ps.addSyntax(file, err)
		return
	}
	validate(ps, file, doc, cfg)
}

// maxNodes bounds the nodes walk visits, aliases expanded: a hostile file of nested aliases
// ("billion laughs") would otherwise take exponential time.
const maxNodes = 100_000

// walk reports unknown keys and values of the wrong kind, with their lines. It returns false
// when decoding would fail.
func walk(ps *Problems, file string, n *yaml.Node, t reflect.Type, path string, budget *int) bool {
	if *budget--; *budget < 0 {
		if *budget == -1 {
			ps.add(file, n, Error, "the configuration is too large or too deeply aliased")
		}
		return false
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Tag == "!!null" {
		return true
	}
	ok := true
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			ps.add(file, n, Error, "%s must be a mapping (key: value lines), not %s", name(path), describe(n))
			return false
		}
		fields := map[string]reflect.StructField{}
		var known []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f
			known = append(known, tag)
		}
		sort.Strings(known)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				ps.add(file, k, Error, "duplicate key %q in %s", k.Value, name(path))
				ok = false
			}
			seen[k.Value] = true
			f, found := fields[k.Value]
			if !found {
				ps.add(file, k, Error, "unknown key %q in %s (known keys: %s)", k.Value, name(path), strings.Join(known, ", "))
				ok = false
				continue
			}
			ok = walk(ps, file, v, f.Type, join(path, k.Value), budget) && ok
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			ps.add(file, n, Error, "%s must be a mapping, not %s", name(path), describe(n))
			return false
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			ok = walk(ps, file, n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), budget) && ok
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			ps.add(file, n, Error, "%s must be a list (lines starting with \"- \"), not %s", name(path), describe(n))
			return false
		}
		for i, c := range n.Content {
			ok = walk(ps, file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), budget) && ok
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			ps.add(file, n, Error, "%s must be a text value, not %s", name(path), describe(n))
			return false
		}
	}
	return ok
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func name(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// nodeAt returns the value node at a dotted path, or nil.
func nodeAt(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

var (
	// QCVN 102:2016 OrganId, e.g. 000.00.00.H49.
	organIDQCVN = regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)
	// Decision 20/2020/QĐ-TTg identifiers: up to 35 characters of [0-9A-Z.].
	organIDNew = regexp.MustCompile(`^[0-9A-Z.]{1,35}$`)
	abbrev     = regexp.MustCompile(`^[\p{L}\p{N}]+$`)
)

// validate checks values that decode but make no sense.
func validate(ps *Problems, file string, doc *yaml.Node, c *Config) {
	a := c.Agency
	if a.OrganID != "" && !organIDQCVN.MatchString(a.OrganID) {
		sev, msg := Warning, "has an unusual shape (QCVN 102 form is DDD.DD.DD.LDD, e.g. 000.00.00.H49)"
		if !organIDNew.MatchString(a.OrganID) {
			sev, msg = Error, "must be up to 35 characters of 0-9, A-Z and '.'"
		}
		ps.add(file, nodeAt(doc, "agency", "organ_id"), sev, "agency.organ_id %q %s", a.OrganID, msg)
	}
	if a.Abbreviation != "" && !abbrev.MatchString(a.Abbreviation) {
		ps.add(file, nodeAt(doc, "agency", "abbreviation"), Error,
			"agency.abbreviation %q must be letters and digits only (it becomes part of the notation, e.g. QĐ-UBND)", a.Abbreviation)
	}
	if len([]rune(a.Name)) > 200 {
		ps.add(file, nodeAt(doc, "agency", "name"), Error, "agency.name is longer than 200 characters (Decree 30 Appendix VI)")
	}
	if a.TimeZone != "" {
		if _, err := time.LoadLocation(a.TimeZone); err != nil {
			ps.add(file, nodeAt(doc, "agency", "time_zone"), Error, "agency.time_zone %q is not a known time zone (e.g. %s)", a.TimeZone, DefaultTimeZone)
		}
	}
	for profile, k := range c.Keys {
		if k.URI == "" {
			ps.add(file, nodeAt(doc, "keys", profile), Error, "keys.%s needs a uri (file:… or pkcs11:…)", profile)
		} else if !strings.HasPrefix(k.URI, "file:") && !strings.HasPrefix(k.URI, "pkcs11:") {
			ps.add(file, nodeAt(doc, "keys", profile, "uri"), Error, "keys.%s.uri must start with file: or pkcs11:", profile)
		}
		if strings.Contains(k.URI, "pin-value=") {
			ps.add(file, nodeAt(doc, "keys", profile, "uri"), Warning, "keys.%s.uri holds a PIN in clear text: prefer pin_source", profile)
		}
	}
	if len(c.Numbering.Series) > 0 {
		if err := c.NumberSeries().Validate(); err != nil {
			ps.add(file, nodeAt(doc, "numbering", "series"), Error, "numbering.series: %v", err)
		}
	}
	if u := c.Numbering.Unit; u != "" && !abbrev.MatchString(u) {
		ps.add(file, nodeAt(doc, "numbering", "unit"), Error, "numbering.unit %q must be letters and digits only", u)
	}
	if u := c.TSA.URL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			ps.add(file, nodeAt(doc, "tsa", "url"), Error, "tsa.url %q must be an http or https URL", u)
		}
	}
	if r := c.Register; strings.Contains(r, "://") && !strings.HasPrefix(r, "postgres://") && !strings.HasPrefix(r, "postgresql://") {
		ps.add(file, nodeAt(doc, "register"), Error, "register %q must be a file path or a postgres:// DSN", r)
	}
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// addSyntax reports a YAML syntax error at the line the parser names.
func (ps *Problems) addSyntax(file string, err error) {
	msg := redact.String(err.Error())
	p := Problem{File: file, Severity: Error, Message: strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column = 1
		p.Message = msg[len(m[0]):]
	}
	*ps = append(*ps, p)
}
