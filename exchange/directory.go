package exchange

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"

	"github.com/vbdt/vbdt/internal/fsutil"
)

// StandIn is the stand-in's YAML file: the systems that may call it, with their secrets (or
// where to read them), and the directory it serves.
type StandIn struct {
	Systems []struct {
		ID           string `yaml:"id"`
		Secret       string `yaml:"secret"`
		SecretSource string `yaml:"secret_source"`
	} `yaml:"systems"`
	Agencies []Agency `yaml:"agencies"`
}

// LoadStandIn reads the stand-in's systems and directory; readSecret resolves secret_source.
func LoadStandIn(path string, readSecret func(src string) (string, error)) ([]System, []Agency, error) {
	data, err := fsutil.ReadSmall(path, 64<<20)
	if err != nil {
		return nil, nil, err
	}
	var f StandIn
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var systems []System
	for i, s := range f.Systems {
		secret := s.Secret
		if s.SecretSource != "" {
			if secret, err = readSecret(s.SecretSource); err != nil {
				return nil, nil, fmt.Errorf("%s: systems[%d]: %w", path, i, err)
			}
		}
		systems = append(systems, System{ID: s.ID, Secret: secret})
	}
	return systems, f.Agencies, nil
}

// LoadDirectory reads a directory of agencies: YAML (a list, or agencies: under a key) or CSV
// with a header row naming code, name and optionally id, pid, mail, oldCode.
func LoadDirectory(path string) ([]Agency, error) {
	data, err := fsutil.ReadSmall(path, 256<<20)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return readCSVDirectory(data)
	}
	var list []Agency
	if err := yaml.Unmarshal(data, &list); err == nil {
		return list, nil
	}
	var f StandIn
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f.Agencies, nil
}

func readCSVDirectory(data []byte) ([]Agency, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the directory CSV has no header row: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["code"]; !ok {
		return nil, fmt.Errorf("the directory CSV has no code column (columns: %s)", strings.Join(head, ", "))
	}
	get := func(rec []string, name string) string {
		if i, ok := col[strings.ToLower(name)]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Agency
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Agency{ID: get(rec, "id"), PID: get(rec, "pid"), Code: get(rec, "code"), Name: get(rec, "name"),
			Mail: get(rec, "mail"), OldCode: get(rec, "oldcode")})
	}
}

// Fold makes Vietnamese text searchable without its diacritics and case: "Ủy ban Nhân dân
// tỉnh Đồng Nai" and "uy ban nhan dan tinh dong nai" fold alike.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("Đ", "d", "đ", "d").Replace(out)
	return strings.ToLower(out)
}

// Matches reports whether an agency's code or name contains every word of a query, folded.
func (a Agency) Matches(query string) bool {
	hay := Fold(a.Code + " " + a.Name + " " + a.Mail)
	for _, w := range strings.Fields(Fold(query)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
