package testenv

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Browser is headless Chromium, for tests of the HTML reports: what they look like (a
// screenshot) and what they say (the DOM).
type Browser struct {
	path string
	dir  string
}

// Chromium finds a Chromium-like browser on PATH (skipping t, or in CI failing it, without).
func Chromium(t testing.TB) *Browser {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return &Browser{path: p, dir: t.TempDir()}
		}
	}
	Need(t, "chromium (apt-get install chromium)")
	return nil
}

// run runs the browser on a page with the arguments and returns its standard output. Its
// standard error (DBus complaints and the like) only matters when it fails.
func (b *Browser) run(t testing.TB, width, height int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	profile, err := os.MkdirTemp(b.dir, "profile")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, b.path, append([]string{
		"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + profile, "--hide-scrollbars", "--window-size=" + itoa(width) + "," + itoa(height),
	}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // Chromium's helpers may hold the pipes open
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	return stdout.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// Screenshot renders the HTML file page at width × height and returns the image; with
// VBDT_KEEP_SCREENSHOT set, the PNG is also copied there.
func (b *Browser) Screenshot(t testing.TB, page string, width, height int) image.Image {
	t.Helper()
	shot := filepath.Join(b.dir, "shot.png")
	b.run(t, width, height, "--screenshot="+shot, "file://"+filepath.ToSlash(page))
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("VBDT_KEEP_SCREENSHOT"); keep != "" {
		os.WriteFile(keep, data, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r := img.Bounds(); r.Dx() != width || r.Dy() != height {
		t.Fatalf("the screenshot is %dx%d, want %dx%d", r.Dx(), r.Dy(), width, height)
	}
	return img
}

// DOM returns the document the browser builds from the HTML file page.
func (b *Browser) DOM(t testing.TB, page string) string {
	t.Helper()
	return b.run(t, 1000, 1400, "--dump-dom", "file://"+filepath.ToSlash(page))
}

// CountNear counts the pixels of img within tol of the colour c on each channel.
func CountNear(img image.Image, c [3]uint8, tol int) int {
	near := func(a uint32, b uint8) bool {
		d := int(a>>8) - int(b)
		return d >= -tol && d <= tol
	}
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if near(cr, c[0]) && near(cg, c[1]) && near(cb, c[2]) {
				n++
			}
		}
	}
	return n
}
