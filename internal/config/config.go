// Package config reads vbdt.yaml: the agency profile, key profiles, appearance assets, trust
// anchors, the TSA and the register. Values are layered: flag > VBDT_* environment > file >
// default; this package does the last three, commands apply their flags on top.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/redact"
	"github.com/vbdt/vbdt/number"
)

// DefaultTimeZone is the agency time zone when none is configured (UTC+7, no DST).
const DefaultTimeZone = "Asia/Ho_Chi_Minh"

// DefaultFile is the name looked for in the working directory.
const DefaultFile = "vbdt.yaml"

// Config is the whole vbdt.yaml.
type Config struct {
	Agency     Agency                `yaml:"agency" json:"agency"`
	Keys       map[string]KeyProfile `yaml:"keys" json:"keys"`
	Appearance Appearance            `yaml:"appearance" json:"appearance"`
	Trust      Trust                 `yaml:"trust" json:"trust"`
	TSA        TSA                   `yaml:"tsa" json:"tsa"`
	Register   string                `yaml:"register" json:"register"`
	Numbering  Numbering             `yaml:"numbering" json:"numbering"`
	Exchange   Exchange              `yaml:"exchange" json:"exchange"`

	// Path is the file the configuration came from, "" when none was found.
	Path string `yaml:"-" json:"-"`
}

// Exchange is the national document-exchange platform the agency's system talks to.
type Exchange struct {
	// Endpoint is the platform's base URL (VNPT's shared one is http://vxpdungchung.vnpt.vn).
	Endpoint string `yaml:"endpoint" json:"endpoint"`
	// SystemID is the system's code on the platform (often its OrganId).
	SystemID string `yaml:"system_id" json:"system_id"`
	// SecretSource says where the system's secret is: file:PATH or env:NAME, never the secret.
	SecretSource string `yaml:"secret_source" json:"secret_source"`
}

// Numbering configures the number series (DOMAIN.md §2). Without series, every administrative
// type and công văn share one series ("chung"), copies have "sao", incoming documents "den".
type Numbering struct {
	Series []number.Series `yaml:"series" json:"series"`
	// Unit is the drafting unit's abbreviation in công văn notations (UBND-VP) when --unit is not given.
	Unit string `yaml:"unit" json:"unit"`
}

// NumberSeries returns the configured series, or the default ones.
func (c *Config) NumberSeries() number.Numbering {
	if len(c.Numbering.Series) == 0 {
		return number.Numbering{Series: number.DefaultSeries()}
	}
	return number.Numbering{Series: c.Numbering.Series}
}

// Key is what numbers are counted per: the OrganId, else the abbreviation.
func (a Agency) Key() string {
	if a.OrganID != "" {
		return a.OrganID
	}
	return a.Abbreviation
}

// Agency is the issuing organization's profile.
type Agency struct {
	Name         string `yaml:"name" json:"name"`
	OrganID      string `yaml:"organ_id" json:"organ_id"`
	Abbreviation string `yaml:"abbreviation" json:"abbreviation"`
	Place        string `yaml:"place" json:"place"`
	TimeZone     string `yaml:"time_zone" json:"time_zone"`
}

// KeyProfile names a key URI and where its PIN comes from.
type KeyProfile struct {
	URI       string `yaml:"uri" json:"uri"`
	PINSource string `yaml:"pin_source" json:"pin_source"`
}

// Appearance lists the image and font files used in visible signatures.
type Appearance struct {
	SignatureImage string `yaml:"signature_image" json:"signature_image"`
	SealImage      string `yaml:"seal_image" json:"seal_image"`
	Font           string `yaml:"font" json:"font"`
}

// Trust lists trust anchor files (PEM certificates).
type Trust struct {
	Anchors []string `yaml:"anchors" json:"anchors"`
}

// TSA is the RFC 3161 time-stamping authority.
type TSA struct {
	URL string `yaml:"url" json:"url"`
}

// Location loads the agency time zone. Its error is a *KeyError: the zone may come from
// $VBDT_TIME_ZONE, which Parse has not seen.
func (a Agency) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return nil, &KeyError{Key: "agency.time_zone", Err: err}
	}
	return loc, nil
}

// KeyError is a configuration value that is missing, or wrong for what a command does. It names
// the key, so that the message around it can say where to fix it.
type KeyError struct {
	Key string // dotted, as in vbdt.yaml: "agency.abbreviation", "keys.approver.uri"
	Err error
}

// Error is Err's message alone: the caller's message names the key.
func (e *KeyError) Error() string { return e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// Redacted returns a copy of c that is safe to print: the password of the register's DSN and of
// the TSA URL, and any pin-value in a key URI, are masked.
func (c *Config) Redacted() *Config {
	r := *c
	r.Register = redact.String(c.Register)
	r.TSA.URL = redact.String(c.TSA.URL)
	if c.Keys != nil {
		r.Keys = make(map[string]KeyProfile, len(c.Keys))
		for name, k := range c.Keys {
			r.Keys[name] = KeyProfile{URI: redact.String(k.URI), PINSource: redact.String(k.PINSource)}
		}
	}
	return &r
}

// Env is a lookup of environment variables (os.Getenv in production).
type Env func(string) string

// Load finds and reads the configuration: path if given, else $VBDT_CONFIG, else ./vbdt.yaml,
// else $XDG_CONFIG_HOME/vbdt/vbdt.yaml (or ~/.config/vbdt/vbdt.yaml). No file at all is not an
// error (defaults apply) unless the path was named explicitly. VBDT_* variables then override.
// A file that does not pass Check is an error of type *Problems.
func Load(path string, env Env) (*Config, error) {
	explicit := path != "" || env("VBDT_CONFIG") != ""
	if path == "" {
		path = env("VBDT_CONFIG")
	}
	if path == "" {
		path = findDefault(env)
	}
	cfg := &Config{}
	if path != "" {
		data, err := fsutil.ReadSmall(path, maxSize)
		var big *fsutil.TooLargeError
		if errors.As(err, &big) { // Parse says so, with the file's name
			data, err = make([]byte, maxSize+1), nil
		}
		switch {
		case err == nil:
			var probs Problems
			cfg, probs = Parse(path, data)
			if probs.HasErrors() {
				return nil, &probs
			}
		case errors.Is(err, os.ErrNotExist) && !explicit:
		default:
			return nil, fmt.Errorf("reading configuration: %w", err)
		}
	}
	cfg.applyEnv(env)
	cfg.applyDefaults()
	return cfg, nil
}

func findDefault(env Env) string {
	if _, err := os.Stat(DefaultFile); err == nil {
		return DefaultFile
	}
	dir := env("XDG_CONFIG_HOME")
	if dir == "" {
		if home := env("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir != "" {
		p := filepath.Join(dir, "vbdt", DefaultFile)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// envVars lists the VBDT_* variables that override file values.
func (c *Config) envVars() []struct {
	name, key string
	dst       *string
} {
	return []struct {
		name, key string
		dst       *string
	}{
		{"VBDT_AGENCY_NAME", "agency.name", &c.Agency.Name},
		{"VBDT_ORGAN_ID", "agency.organ_id", &c.Agency.OrganID},
		{"VBDT_AGENCY_ABBREVIATION", "agency.abbreviation", &c.Agency.Abbreviation},
		{"VBDT_PLACE", "agency.place", &c.Agency.Place},
		{"VBDT_TIME_ZONE", "agency.time_zone", &c.Agency.TimeZone},
		{"VBDT_SIGNATURE_IMAGE", "appearance.signature_image", &c.Appearance.SignatureImage},
		{"VBDT_SEAL_IMAGE", "appearance.seal_image", &c.Appearance.SealImage},
		{"VBDT_FONT", "appearance.font", &c.Appearance.Font},
		{"VBDT_TSA_URL", "tsa.url", &c.TSA.URL},
		{"VBDT_REGISTER", "register", &c.Register},
		{"VBDT_EXCHANGE_ENDPOINT", "exchange.endpoint", &c.Exchange.Endpoint},
		{"VBDT_EXCHANGE_SYSTEM_ID", "exchange.system_id", &c.Exchange.SystemID},
		{"VBDT_EXCHANGE_SECRET_SOURCE", "exchange.secret_source", &c.Exchange.SecretSource},
	}
}

// EnvVar names the environment variable that overrides key ("agency.time_zone":
// "VBDT_TIME_ZONE"), or "" when none does.
func EnvVar(key string) string {
	var c Config
	for _, v := range c.envVars() {
		if v.key == key {
			return v.name
		}
	}
	return ""
}

// EnvNames lists the environment variables that override configuration values.
func EnvNames() []string {
	var c Config
	var names []string
	for _, v := range c.envVars() {
		names = append(names, v.name)
	}
	return names
}

func (c *Config) applyEnv(env Env) {
	for _, v := range c.envVars() {
		if s := env(v.name); s != "" {
			*v.dst = s
		}
	}
}

func (c *Config) applyDefaults() {
	if c.Agency.TimeZone == "" {
		c.Agency.TimeZone = DefaultTimeZone
	}
	if c.Register == "" {
		c.Register = "vbdt-register.db"
	}
}

// maxSize bounds a configuration file.
const maxSize = 1 << 20

// Parse decodes and checks data read from path. Problems carry file:line positions.
func Parse(path string, data []byte) (*Config, Problems) {
	p := Problems{}
	if len(data) > maxSize {
		p.add(path, nil, Error, "larger than %d bytes (1 MiB): too large for a configuration file", maxSize)
		return &Config{Path: path}, p
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		p.addSyntax(path, err)
		return &Config{Path: path}, p
	}
	cfg := &Config{Path: path}
	if root.Kind == 0 { // empty file
		return cfg, p
	}
	check(&p, path, &root, cfg)
	return cfg, p
}

//go:embed template.yaml
var template []byte

// Template returns the commented vbdt.yaml written by `vbdt config init`.
func Template() []byte { return bytes.Clone(template) }
