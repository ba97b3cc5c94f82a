package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTemplateIsValid(t *testing.T) {
	cfg, probs := Parse("vbdt.yaml", Template())
	if len(probs) > 0 {
		t.Fatalf("the template has problems: %v", probs)
	}
	if cfg.Agency.Abbreviation != "UBND" || cfg.Agency.TimeZone != DefaultTimeZone || len(cfg.Keys) != 2 {
		t.Errorf("template decoded to %+v", cfg)
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
		sev  Severity
		want string
	}{
		{"unknown top key", "agency:\n  name: A\nregistr: x.db\n", 3, Error, `unknown key "registr" in the top level`},
		{"unknown nested key", "agency:\n  name: A\n  abbrev: UBND\n", 3, Error, `unknown key "abbrev" in agency (known keys: abbreviation,`},
		{"unknown key in profile", "keys:\n  a:\n    uri: file:a.p12\n    pin: 1234\n", 4, Error, `unknown key "pin" in keys.a`},
		{"wrong type mapping", "agency: UBND\n", 1, Error, "agency must be a mapping"},
		{"wrong type list", "trust:\n  anchors: root.pem\n", 2, Error, "trust.anchors must be a list"},
		{"wrong type scalar", "agency:\n  name:\n    - a\n", 3, Error, "agency.name must be a text value"},
		{"duplicate key", "agency:\n  name: A\n  name: B\n", 3, Error, "duplicate key"},
		{"syntax", "agency:\n\tname: x\n", 2, Error, "cannot start any token"},
		{"bad time zone", "agency:\n  time_zone: Asia/Hanoi_City\n", 2, Error, "not a known time zone"},
		{"bad organ id", "agency:\n  organ_id: abc def\n", 2, Error, "must be up to 35 characters"},
		{"odd organ id", "agency:\n  organ_id: H49.01\n", 2, Warning, "unusual shape"},
		{"bad abbreviation", "agency:\n  abbreviation: UB-ND\n", 2, Error, "letters and digits only"},
		{"key without uri", "keys:\n  a:\n    pin_source: env:X\n", 3, Error, "needs a uri"},
		{"bad key scheme", "keys:\n  a:\n    uri: http://x\n", 3, Error, "must start with file: or pkcs11:"},
		{"pin in uri", "keys:\n  a:\n    uri: pkcs11:token=a?pin-value=1\n", 3, Warning, "clear text"},
		{"bad tsa", "tsa:\n  url: ftp://tsa\n", 2, Error, "http or https"},
		{"bad register", "register: mysql://x\n", 1, Error, "postgres:// DSN"},
		{"long name", "agency:\n  name: " + strings.Repeat("ư", 201) + "\n", 2, Error, "longer than 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Parse("x.yaml", []byte(tt.yaml))
			if len(probs) == 0 {
				t.Fatal("no problem found")
			}
			p := probs[0]
			if p.Line != tt.line || p.Severity != tt.sev || !strings.Contains(p.Message, tt.want) {
				t.Fatalf("got %s (%s), want line %d %s %q", p, p.Severity, tt.line, tt.sev, tt.want)
			}
			if !strings.HasPrefix(p.String(), "x.yaml:") {
				t.Errorf("problem does not name the file: %s", p)
			}
		})
	}
}

func TestParseEmptyAndComments(t *testing.T) {
	for _, s := range []string{"", "# only a comment\n", "---\n"} {
		if _, probs := Parse("e.yaml", []byte(s)); len(probs) > 0 {
			t.Errorf("%q: %v", s, probs)
		}
	}
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vbdt.yaml")
	os.WriteFile(path, []byte("agency:\n  abbreviation: UBND\n  place: Huế\ntsa:\n  url: http://file-tsa\n"), 0o644)
	env := func(kv map[string]string) Env { return func(k string) string { return kv[k] } }

	cfg, err := Load(path, env(map[string]string{"VBDT_TSA_URL": "http://env-tsa"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TSA.URL != "http://env-tsa" {
		t.Errorf("env must override the file: %q", cfg.TSA.URL)
	}
	if cfg.Agency.Place != "Huế" || cfg.Agency.TimeZone != DefaultTimeZone || cfg.Register != "vbdt-register.db" {
		t.Errorf("file and defaults: %+v", cfg)
	}
	// VBDT_CONFIG names the file when --config does not.
	cfg, err = Load("", env(map[string]string{"VBDT_CONFIG": path, "HOME": dir}))
	if err != nil || cfg.Path != path {
		t.Fatalf("VBDT_CONFIG: %v %+v", err, cfg)
	}
	// A named file that is missing is an error; no file at all is not.
	if _, err := Load(filepath.Join(dir, "missing.yaml"), env(nil)); err == nil {
		t.Error("missing --config file accepted")
	}
	t.Chdir(t.TempDir())
	cfg, err = Load("", env(map[string]string{"HOME": t.TempDir()}))
	if err != nil || cfg.Path != "" || cfg.Agency.TimeZone != DefaultTimeZone {
		t.Fatalf("no file: %v %+v", err, cfg)
	}
	// ~/.config/vbdt/vbdt.yaml is found last.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".config", "vbdt"), 0o755)
	os.WriteFile(filepath.Join(home, ".config", "vbdt", "vbdt.yaml"), []byte("register: home.db\n"), 0o644)
	if cfg, err = Load("", env(map[string]string{"HOME": home})); err != nil || cfg.Register != "home.db" {
		t.Fatalf("home config: %v %+v", err, cfg)
	}
	// An invalid file fails Load with its problems.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("agency:\n  nme: x\n"), 0o644)
	if _, err := Load(bad, env(nil)); err == nil || !strings.Contains(err.Error(), "bad.yaml:2:3: unknown key") {
		t.Fatalf("bad file: %v", err)
	}
}

// FuzzParse: any bytes give a config or problems, never a panic, and problems carry a file.
func FuzzParse(f *testing.F) {
	f.Add(Template())
	f.Add([]byte("agency: [1, 2]\nkeys: {a: {uri: 1}}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, probs := Parse("f.yaml", data)
		for _, p := range probs {
			if p.File != "f.yaml" || p.Message == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "x%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("trust:\n  anchors: *a9\n")
	// Without a bound this takes exponential time; go test's -timeout catches a regression.
	if _, probs := Parse("bomb.yaml", []byte(b.String())); !probs.HasErrors() {
		t.Fatal("an alias bomb must be rejected")
	}
}

func TestNumberingChecks(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		line int
		want string
	}{
		{"numbering:\n  series:\n    - {name: a, kind: outgoing, types: [Qd]}\n", 3, `did you mean "QĐ"`},
		{"numbering:\n  series:\n    - {name: a, kind: nope}\n", 3, "unknown kind"},
		{"numbering:\n  series:\n    - {name: a, kind: outgoing, colour: red}\n", 3, `unknown key "colour"`},
		{"numbering:\n  unit: V-P\n", 2, "letters and digits"},
	} {
		_, probs := Parse("n.yaml", []byte(tc.yaml))
		if len(probs) == 0 || probs[0].Line != tc.line || !strings.Contains(probs[0].Message, tc.want) {
			t.Errorf("%q: %v, want line %d %q", tc.yaml, probs, tc.line, tc.want)
		}
	}
	cfg, probs := Parse("n.yaml", []byte("numbering:\n  series:\n    - {name: x, kind: outgoing}\n    - {name: d, kind: incoming}\n"))
	if len(probs) > 0 || len(cfg.NumberSeries().Series) != 2 {
		t.Fatalf("%v %+v", probs, cfg.NumberSeries())
	}
	if def := (&Config{}).NumberSeries(); len(def.Series) != 3 {
		t.Errorf("default series %+v", def)
	}
}

// What config show and config check print never holds a PIN or a password.
func TestSecretsAreMasked(t *testing.T) {
	const pin, password = "Pin-4721", "Dsn-Passw0rd"
	cfg := &Config{
		Keys:     map[string]KeyProfile{"approver": {URI: "pkcs11:token=A;object=B?pin-value=" + pin, PINSource: "env:APPROVER_PIN"}},
		Register: "postgres://clerk:" + password + "@db.example/vbdt",
		TSA:      TSA{URL: "https://tsa:" + password + "@tsa.example/ts"},
	}
	r := cfg.Redacted()
	text := fmt.Sprintf("%+v", *r)
	if strings.Contains(text, pin) || strings.Contains(text, password) {
		t.Fatalf("Redacted() keeps a secret: %s", text)
	}
	if r.Keys["approver"].URI != "pkcs11:token=A;object=B?pin-value=REDACTED" || r.Keys["approver"].PINSource != "env:APPROVER_PIN" ||
		r.Register != "postgres://clerk:REDACTED@db.example/vbdt" {
		t.Errorf("Redacted() = %+v", *r)
	}
	if !strings.Contains(cfg.Keys["approver"].URI, pin) || !strings.Contains(cfg.Register, password) {
		t.Error("Redacted() changed the configuration it copies")
	}

	for _, yaml := range []string{
		"register: mysql://clerk:" + password + "@db/vbdt\n",
		"tsa:\n  url: ftp://tsa:" + password + "@tsa.example\n",
		"keys:\n  approver: pkcs11:token=A?pin-value=" + pin + "\n", // a text where a mapping belongs
		"keys:\n  approver:\n    uri: pkcs11:token=A?pin-value=" + pin + "\n",
	} {
		_, probs := Parse("s.yaml", []byte(yaml))
		if len(probs) == 0 {
			t.Fatalf("%q: no problem found", yaml)
		}
		for _, p := range probs {
			if strings.Contains(p.String(), pin) || strings.Contains(p.String(), password) {
				t.Errorf("problem shows a secret: %s", p)
			}
		}
	}
}

func TestTimeZoneErrorNamesItsKey(t *testing.T) {
	_, err := Agency{TimeZone: "Mars/Olympus"}.Location()
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != "agency.time_zone" || EnvVar(ke.Key) != "VBDT_TIME_ZONE" {
		t.Fatalf("%#v", err)
	}
	if EnvVar("register") != "VBDT_REGISTER" || EnvVar("keys.a.uri") != "" {
		t.Error("EnvVar")
	}
}
