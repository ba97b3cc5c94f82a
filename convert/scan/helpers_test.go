package scan

import (
	"bytes"
	"encoding/binary"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// --- a tiny TIFF writer for fixtures ---

type ttag struct {
	id, typ uint16
	vals    []uint32 // RATIONAL: numerator, denominator pairs; BYTE/UNDEFINED: one byte per value
}

type tpage struct {
	tags   []ttag
	strips [][]byte // StripOffsets and StripByteCounts are added from these
}

func short(id uint16, v ...uint32) ttag { return ttag{id, 3, v} }
func long(id uint16, v ...uint32) ttag  { return ttag{id, 4, v} }
func rational(id uint16, num, den uint32) ttag {
	return ttag{id, 5, []uint32{num, den}}
}

// writeTIFF lays out pages: header, then for each page its strips, its
// out-of-line tag values and its IFD.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func writeTIFF(bo byteOrder, pages []tpage) []byte {
	var b bytes.Buffer
	if bo.Uint16([]byte{1, 0}) == 1 {
		b.WriteString("II*\x00")
	} else {
		b.WriteString("MM\x00*")
	}
	b.Write(make([]byte, 4)) // first IFD offset, patched below
	prevLink := 4
	for _, pg := range pages {
		var offs, cnts []uint32
		for _, s := range pg.strips {
			offs = append(offs, uint32(b.Len()))
			cnts = append(cnts, uint32(len(s)))
			b.Write(s)
			if b.Len()%2 == 1 {
				b.WriteByte(0)
			}
		}
		tags := append([]ttag(nil), pg.tags...)
		if pg.strips != nil {
			tags = append(tags, long(tStripOffsets, offs...), long(tStripByteCounts, cnts...))
		}
		sort.SliceStable(tags, func(i, j int) bool { return tags[i].id < tags[j].id })
		// Out-of-line values.
		enc := func(t ttag) []byte {
			var v []byte
			for _, x := range t.vals {
				switch t.typ {
				case 1, 2, 7:
					v = append(v, byte(x))
				case 3:
					v = bo.AppendUint16(v, uint16(x))
				default:
					v = bo.AppendUint32(v, x)
				}
			}
			return v
		}
		count := func(t ttag) uint32 {
			if t.typ == 5 {
				return uint32(len(t.vals) / 2)
			}
			return uint32(len(t.vals))
		}
		valOff := make([]uint32, len(tags))
		for i, t := range tags {
			if v := enc(t); len(v) > 4 {
				valOff[i] = uint32(b.Len())
				b.Write(v)
				if b.Len()%2 == 1 {
					b.WriteByte(0)
				}
			}
		}
		ifd := b.Len()
		bo.PutUint32(b.Bytes()[prevLink:], uint32(ifd))
		b.Write(bo.AppendUint16(nil, uint16(len(tags))))
		for i, t := range tags {
			e := bo.AppendUint16(nil, t.id)
			e = bo.AppendUint16(e, t.typ)
			e = bo.AppendUint32(e, count(t))
			if v := enc(t); len(v) > 4 {
				e = bo.AppendUint32(e, valOff[i])
			} else {
				e = append(e, v...)
				e = append(e, make([]byte, 4-len(v))...)
			}
			b.Write(e)
		}
		prevLink = b.Len()
		b.Write(make([]byte, 4))
	}
	return b.Bytes()
}

// bilevelTruth draws a deterministic black-and-white test page: packed rows,
// MSB first, 1 = black, padding bits 0.
func bilevelTruth(w, h int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	stride := (w + 7) / 8
	px := make([]bool, w*h)
	// "Text lines": runs of black of random length, a frame, some noise.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < 2 || y < 2 || x >= w-2 || y >= h-2 {
				px[y*w+x] = true
			}
		}
	}
	for line := 8; line+10 < h; line += 14 {
		for x := 6; x < w-6; {
			run := 1 + rng.Intn(9)
			if rng.Intn(3) > 0 {
				for yy := line; yy < line+8; yy++ {
					for xx := x; xx < x+run && xx < w-6; xx++ {
						px[yy*w+xx] = rng.Intn(10) > 0
					}
				}
			}
			x += run + 1 + rng.Intn(3)
		}
	}
	out := make([]byte, stride*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if px[y*w+x] {
				out[y*stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return out
}

// bilevelTIFFPage is an uncompressed 1-bit page with the given photometric
// (0: samples 1 = black, 1: samples 1 = white).
func bilevelTIFFPage(w, h int, truth []byte, photometric uint32, extra ...ttag) tpage {
	samples := append([]byte(nil), truth...)
	if photometric == 1 {
		for i := range samples {
			samples[i] = ^samples[i]
		}
	}
	tags := []ttag{
		long(tImageWidth, uint32(w)), long(tImageLength, uint32(h)),
		short(tBitsPerSample, 1), short(tCompression, 1), short(tPhotometric, photometric),
		short(tSamplesPerPixel, 1), long(tRowsPerStrip, uint32(h)),
		rational(tXResolution, 300, 1), rational(tYResolution, 300, 1), short(tResolutionUnit, 2),
	}
	return tpage{tags: append(tags, extra...), strips: [][]byte{samples}}
}

// --- external tools ---

// needTool returns the path of a command-line tool (testenv skips, or in CI fails, the test
// without it).
func needTool(t testing.TB, name string) string {
	t.Helper()
	testenv.NeedTools(t, name)
	p, _ := exec.LookPath(name)
	return p
}

// tiffcp runs libtiff's tiffcp with args on input files and returns the output.
func tiffcp(t testing.TB, args []string, inputs ...[]byte) []byte {
	t.Helper()
	bin := needTool(t, "tiffcp")
	dir := t.TempDir()
	var cmdArgs []string
	cmdArgs = append(cmdArgs, args...)
	for i, in := range inputs {
		p := filepath.Join(dir, "in"+string(rune('a'+i))+".tif")
		if err := os.WriteFile(p, in, 0o644); err != nil {
			t.Fatal(err)
		}
		cmdArgs = append(cmdArgs, p)
	}
	out := filepath.Join(dir, "out.tif")
	cmdArgs = append(cmdArgs, out)
	if msg, err := exec.Command(bin, cmdArgs...).CombinedOutput(); err != nil {
		t.Fatalf("tiffcp %v: %v\n%s", args, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func inspectBytes(t testing.TB, b []byte) []Page {
	t.Helper()
	pages, err := Inspect(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return pages
}

func inspectErr(b []byte) error {
	_, err := Inspect(bytes.NewReader(b), int64(len(b)))
	return err
}

// rangeBytes concatenates the byte ranges of a page.
func rangeBytes(src []byte, rs []Range) []byte {
	var out []byte
	for _, r := range rs {
		out = append(out, src[r.Off:r.Off+r.Len]...)
	}
	return out
}

// diffBits counts differing pixels between two packed bilevel images.
func diffBits(a, b []byte, w, h int) int {
	stride := (w + 7) / 8
	n := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*stride + x/8
			m := byte(0x80 >> (x % 8))
			if (a[i]&m != 0) != (b[i]&m != 0) {
				n++
			}
		}
	}
	return n
}
