// Package fonts finds a TrueType font with Vietnamese glyphs for what vbdt draws: register
// books now, signature appearances later. Decree 30 prescribes Times New Roman; Liberation
// Serif has the same metrics and ships with Debian (fonts-liberation2).
package fonts

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Face is a regular and a bold TrueType file of one family.
type Face struct {
	Regular string
	Bold    string
}

var candidates = []Face{
	{"/usr/share/fonts/truetype/msttcorefonts/Times_New_Roman.ttf", "/usr/share/fonts/truetype/msttcorefonts/Times_New_Roman_Bold.ttf"},
	{"/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"},
	{"/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf", "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf"},
	{"/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"},
}

// Find returns the configured font (its bold found beside it by name, else the regular file
// again), or the first installed candidate: Times New Roman, Liberation Serif, DejaVu Serif.
func Find(configured string) (Face, error) {
	if configured != "" {
		if _, err := os.Stat(configured); err != nil {
			return Face{}, fmt.Errorf("font: %w", err)
		}
		f := Face{Regular: configured, Bold: configured}
		dir, base := filepath.Split(configured)
		for _, pair := range [][2]string{{"-Regular", "-Bold"}, {"Regular", "Bold"}, {".ttf", "_Bold.ttf"}, {".ttf", "-Bold.ttf"}, {".ttf", "bd.ttf"}} {
			if b := strings.Replace(base, pair[0], pair[1], 1); b != base {
				if _, err := os.Stat(filepath.Join(dir, b)); err == nil {
					f.Bold = filepath.Join(dir, b)
					break
				}
			}
		}
		return f, nil
	}
	for _, c := range candidates {
		if _, err := os.Stat(c.Regular); err != nil {
			continue
		}
		if _, err := os.Stat(c.Bold); err != nil {
			c.Bold = c.Regular
		}
		return c, nil
	}
	return Face{}, fmt.Errorf("no font with Vietnamese glyphs found: set appearance.font in vbdt.yaml (Times New Roman) or install fonts-liberation2")
}
