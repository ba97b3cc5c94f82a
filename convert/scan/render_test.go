package scan

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// g4PDF builds a one-page PDF that embeds a G4 page's Ranges exactly as Inspect
// describes them, the page being W×H points so that 72 dpi renders 1:1.
func g4PDF(src []byte, p Page) []byte {
	data := rangeBytes(src, p.Ranges)
	if p.ReverseBits {
		for i := range data {
			data[i] = bits.Reverse8(data[i])
		}
	}
	var parms []string
	for _, k := range []string{"K", "Columns", "Rows", "BlackIs1"} {
		parms = append(parms, fmt.Sprintf("/%s %v", k, p.DecodeParms[k]))
	}
	content := fmt.Sprintf("q %d 0 0 %d 0 0 cm /Im0 Do Q", p.Width, p.Height)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", p.Width, p.Height),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /%s /BitsPerComponent 1 /Filter /%s /DecodeParms << %s >> /Length %d >>\nstream\n%s\nendstream",
			p.Width, p.Height, p.ColorSpace, p.Filter, strings.Join(parms, " "), len(data), data),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// renderPBM renders page 1 of a PDF with Ghostscript at 72 dpi and returns
// the bitmap rows (1 = black), width and height.
func renderPBM(t *testing.T, pdf []byte) ([]byte, int, int) {
	t.Helper()
	gs := needTool(t, "gs")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pbm")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pbmraw", "-r72", "-o", out, in)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gs: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// "P4", comment lines, "<w> <h>", then the rows.
	var w, h int
	lines := 0
	rest := b
	for lines < 2 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			t.Fatalf("unexpected PBM %q", b[:min(len(b), 80)])
		}
		line := string(rest[:i])
		rest = rest[i+1:]
		if strings.HasPrefix(line, "#") {
			continue
		}
		if lines == 0 && line != "P4" {
			t.Fatalf("not a PBM: %q", line)
		}
		if lines == 1 {
			if _, err := fmt.Sscanf(line, "%d %d", &w, &h); err != nil {
				t.Fatal(err)
			}
		}
		lines++
	}
	return rest, w, h
}

// TestG4PassthroughRendering checks the polarity of BlackIs1 and the bit
// reversal of FillOrder 2 with a real PDF renderer: the strip bytes,
// embedded as Inspect says, render pixel-exactly as the page's truth.
func TestG4PassthroughRendering(t *testing.T) {
	truth := bilevelTruth(bw, bh, 21)
	for _, ph := range []uint32{0, 1} {
		src := writeTIFF(binary.LittleEndian, []tpage{bilevelTIFFPage(bw, bh, truth, ph)})
		for _, args := range [][]string{{"-c", "g4"}, {"-c", "g4", "-f", "lsb2msb"}} {
			f := tiffcp(t, args, src)
			p := inspectBytes(t, f)[0]
			if p.Kind != G4 {
				t.Fatalf("kind %v", p.Kind)
			}
			got, w, h := renderPBM(t, g4PDF(f, p))
			if w != bw || h != bh {
				t.Fatalf("rendered %d×%d", w, h)
			}
			if d := diffBits(got, truth, bw, bh); d != 0 {
				t.Fatalf("photometric %d %v: the rendered PDF differs from the page in %d pixels", ph, args, d)
			}
		}
	}
}
