package fonts

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindConfigured(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "TimesNewRoman-Regular.ttf")
	bold := filepath.Join(dir, "TimesNewRoman-Bold.ttf")
	os.WriteFile(reg, []byte("x"), 0o644)
	f, err := Find(reg)
	if err != nil || f.Regular != reg || f.Bold != reg {
		t.Fatalf("without a bold file: %+v %v", f, err)
	}
	os.WriteFile(bold, []byte("x"), 0o644)
	if f, err = Find(reg); err != nil || f.Bold != bold {
		t.Fatalf("bold beside it: %+v %v", f, err)
	}
	if _, err := Find(filepath.Join(dir, "missing.ttf")); err == nil {
		t.Fatal("a missing configured font was accepted")
	}
}

func TestFindInstalled(t *testing.T) {
	f, err := Find("")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs fonts-liberation2: %v", err)
		}
		t.Skip(err)
	}
	for _, p := range []string{f.Regular, f.Bold} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
