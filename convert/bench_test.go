package convert_test

import (
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/internal/testpki"
)

// noisyScanPage is testpki.ScanPage with scanner noise, so that a colour JPEG of an A4 page at
// 300 dpi is about as large as a real scan's (~1.1 MB at quality 85) instead of a flat drawing's.
func noisyScanPage(dpi float64, seed uint64) *image.RGBA {
	img := testpki.ScanPage(dpi, seed)
	r := rand.New(rand.NewPCG(seed, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		n := r.Uint64()
		for c := 0; c < 3; c++ {
			v := int(img.Pix[i+c]) + int(n>>(8*c)&0xff%11) - 5
			img.Pix[i+c] = uint8(max(0, min(255, v)))
		}
	}
	return img
}

// benchScan is an A4 page at 300 dpi as the benchmarks embed it.
type benchScan struct {
	name string
	path string
}

// writeBenchScans writes the three kinds of A4 300 dpi pages of the benchmarks into dir: a colour
// JPEG, a one-strip G4 TIFF and a 17-strip G4 TIFF (the same page thresholded), page seed seed.
func writeBenchScans(dir string, seed uint64) ([]benchScan, error) {
	img := noisyScanPage(300, seed)
	jpg := filepath.Join(dir, fmt.Sprintf("jpeg-%04d.jpg", seed))
	if err := testpki.WriteJPEG(jpg, img, 300); err != nil {
		return nil, err
	}
	rows, w, h := testpki.Bilevel(testpki.ScanPage(300, seed))
	// specks, as a real scan has (~64 KB of G4 per page rather than a clean drawing's 9 KB)
	r := rand.New(rand.NewPCG(seed, 3))
	for range 26000 {
		x, y := r.IntN(w), r.IntN(h)
		rows[y*((w+7)/8)+x/8] ^= 0x80 >> (x % 8)
	}
	one := filepath.Join(dir, fmt.Sprintf("g4-%04d.tif", seed))
	if err := testpki.WriteG4TIFF(one, []testpki.TIFFPage{{Rows: rows, Width: w, Height: h, DPI: 300}}); err != nil {
		return nil, err
	}
	many := filepath.Join(dir, fmt.Sprintf("g4s17-%04d.tif", seed))
	if err := testpki.WriteG4TIFF(many, []testpki.TIFFPage{{Rows: rows, Width: w, Height: h, DPI: 300, RowsPerStrip: (h + 16) / 17}}); err != nil {
		return nil, err
	}
	return []benchScan{{"jpeg-colour", jpg}, {"g4-1-strip", one}, {"g4-17-strips", many}}, nil
}

// BenchmarkConvert converts a document of 10 A4 pages at 300 dpi per iteration: a colour JPEG
// (passthrough), a one-strip G4 TIFF page (passthrough) and a 17-strip one (re-encoded into one
// G4 strip).
func BenchmarkConvert(b *testing.B) {
	dir := b.TempDir()
	scans, err := writeBenchScans(dir, 1)
	if err != nil {
		b.Fatal(err)
	}
	const pages = 10
	for _, s := range scans {
		b.Run(s.name, func(b *testing.B) {
			fi, err := os.Stat(s.path)
			if err != nil {
				b.Fatal(err)
			}
			d := convert.Document{FileCode: "BENCH.2026.01", Ordinal: 1, Out: filepath.Join(dir, s.name+".pdf")}
			for range pages {
				d.Sources = append(d.Sources, convert.Source{Path: s.path})
			}
			opts := convert.Options{Part: convert.PDFA2B, Profile: convert.ProfileND30, Producer: "vbdt bench"}
			b.SetBytes(pages * fi.Size())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := convert.Convert(d, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(pages*b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

// BenchmarkWriteBenchScans writes the page sets of bench/convert.sh when VBDT_BENCH_SCANS
// names a folder (and VBDT_BENCH_PAGES a count, 200 by default): DIR/jpeg, DIR/g4 and
// DIR/g4s17, one distinct A4 300 dpi page per file. A benchmark, so that tests never run it.
func BenchmarkWriteBenchScans(t *testing.B) {
	dir := os.Getenv("VBDT_BENCH_SCANS")
	if dir == "" {
		t.Skip("VBDT_BENCH_SCANS not set (bench/convert.sh sets it)")
	}
	n := 200
	if s := os.Getenv("VBDT_BENCH_PAGES"); s != "" {
		fmt.Sscan(s, &n)
	}
	sets := map[string]string{"jpeg-colour": "jpeg", "g4-1-strip": "g4", "g4-17-strips": "g4s17"}
	for _, sub := range sets {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	work := make(chan uint64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tmp := t.TempDir()
			for seed := range work {
				scans, err := writeBenchScans(tmp, seed)
				for _, s := range scans {
					if err == nil {
						err = os.Rename(s.path, filepath.Join(dir, sets[s.name], fmt.Sprintf("p%05d%s", seed, filepath.Ext(s.path))))
					}
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := 1; i <= n; i++ {
		work <- uint64(i)
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
}
