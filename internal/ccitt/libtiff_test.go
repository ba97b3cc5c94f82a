package ccitt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// These tests cross-check the encoder with libtiff through its tiffcp tool
// (Debian/Ubuntu package libtiff-tools). Without tiffcp they are skipped,
// unless the CI environment variable is set, in which case they fail.

func needTiffcp(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tiffcp")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tiffcp not found (install the libtiff-tools package)")
		}
		t.Skip("tiffcp not found (install the libtiff-tools package)")
	}
	return p
}

const (
	compressionNone = 1
	compressionG4   = 4
)

// writeTIFF writes a minimal little-endian, single-strip, 1-bit TIFF with
// PhotometricInterpretation 0 (WhiteIsZero: 1 = black) and FillOrder 1.
func writeTIFF(path string, w, h int, compression uint16, strip []byte) error {
	type entry struct {
		tag, typ uint16
		val      uint32
	}
	const short, long = 3, 4
	entries := []entry{
		{256, long, uint32(w)},            // ImageWidth
		{257, long, uint32(h)},            // ImageLength
		{258, short, 1},                   // BitsPerSample
		{259, short, uint32(compression)}, // Compression
		{262, short, 0},                   // PhotometricInterpretation: WhiteIsZero
		{266, short, 1},                   // FillOrder: MSB first
		{273, long, 0},                    // StripOffsets, patched below
		{277, short, 1},                   // SamplesPerPixel
		{278, long, uint32(h)},            // RowsPerStrip
		{279, long, uint32(len(strip))},   // StripByteCounts
	}
	ifdSize := 2 + 12*len(entries) + 4
	dataOff := uint32(8 + ifdSize)
	le := binary.LittleEndian
	var b []byte
	b = append(b, 'I', 'I', 42, 0)
	b = le.AppendUint32(b, 8)
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		if e.tag == 273 {
			e.val = dataOff
		}
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		b = le.AppendUint32(b, 1)
		if e.typ == short {
			b = le.AppendUint16(b, uint16(e.val))
			b = le.AppendUint16(b, 0)
		} else {
			b = le.AppendUint32(b, e.val)
		}
	}
	b = le.AppendUint32(b, 0) // no next IFD
	b = append(b, strip...)
	return os.WriteFile(path, b, 0o644)
}

// readTIFF returns the first image's width, height, compression and the
// concatenation of its strips (fill order normalised to MSB first).
func readTIFF(path string) (w, h, compression int, data []byte, err error) {
	f, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	if len(f) < 8 {
		return 0, 0, 0, nil, fmt.Errorf("short TIFF")
	}
	var bo binary.ByteOrder
	switch string(f[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, 0, 0, nil, fmt.Errorf("not a TIFF")
	}
	ifd := bo.Uint32(f[4:])
	n := int(bo.Uint16(f[ifd:]))
	values := func(typ uint16, count, field uint32) []uint32 {
		size := uint32(2)
		if typ == 4 {
			size = 4
		}
		off := field
		if size*count <= 4 {
			off = 0
		}
		out := make([]uint32, count)
		for i := range out {
			var p []byte
			if off == 0 {
				p = f[field:]
			} else {
				p = f[bo.Uint32(f[field:]):]
			}
			p = p[uint32(i)*size:]
			if size == 2 {
				out[i] = uint32(bo.Uint16(p))
			} else {
				out[i] = bo.Uint32(p)
			}
		}
		return out
	}
	tags := map[uint16][]uint32{}
	for i := 0; i < n; i++ {
		e := ifd + 2 + uint32(12*i)
		tag, typ, count := bo.Uint16(f[e:]), bo.Uint16(f[e+2:]), bo.Uint32(f[e+4:])
		if typ == 3 || typ == 4 {
			tags[tag] = values(typ, count, e+8)
		}
	}
	offs, counts := tags[273], tags[279]
	if len(offs) != len(counts) {
		return 0, 0, 0, nil, fmt.Errorf("bad strip tags")
	}
	for i := range offs {
		data = append(data, f[offs[i]:offs[i]+counts[i]]...)
	}
	if fo := tags[266]; len(fo) == 1 && fo[0] == 2 {
		for i, c := range data {
			data[i] = bits.Reverse8(c)
		}
	}
	if pm := tags[262]; len(pm) != 1 || pm[0] != 0 {
		return 0, 0, 0, nil, fmt.Errorf("unexpected photometric %v", pm)
	}
	return int(tags[256][0]), int(tags[257][0]), int(tags[259][0]), data, nil
}

func libtiffImages(t *testing.T) []testImage {
	var imgs []testImage
	for _, ti := range testImages(testing.Short()) {
		if ti.b.h > 0 {
			imgs = append(imgs, ti)
		}
	}
	return imgs
}

// TestLibtiffDecodes has libtiff decompress our stream wrapped in a TIFF.
func TestLibtiffDecodes(t *testing.T) {
	tiffcp := needTiffcp(t)
	dir := t.TempDir()
	for i, ti := range libtiffImages(t) {
		t.Run(ti.name, func(t *testing.T) {
			b := ti.b
			in := filepath.Join(dir, fmt.Sprintf("g4-%d.tif", i))
			out := filepath.Join(dir, fmt.Sprintf("raw-%d.tif", i))
			if err := writeTIFF(in, b.w, b.h, compressionG4, encode(t, b)); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command(tiffcp, "-c", "none", in, out).CombinedOutput(); err != nil || len(msg) > 0 {
				t.Fatalf("tiffcp -c none: %v: %s", err, msg)
			}
			w, h, c, raw, err := readTIFF(out)
			if err != nil {
				t.Fatal(err)
			}
			if w != b.w || h != b.h || c != compressionNone {
				t.Fatalf("libtiff wrote %dx%d compression %d", w, h, c)
			}
			clearPadding(raw, w, h)
			if d := diffPixels(b.pix, raw, w, h); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestLibtiffSameBytes has libtiff's own Group 4 encoder compress the same
// images and requires byte-identical streams.
func TestLibtiffSameBytes(t *testing.T) {
	tiffcp := needTiffcp(t)
	dir := t.TempDir()
	for i, ti := range libtiffImages(t) {
		t.Run(ti.name, func(t *testing.T) {
			b := ti.b
			in := filepath.Join(dir, fmt.Sprintf("raw-%d.tif", i))
			out := filepath.Join(dir, fmt.Sprintf("g4-%d.tif", i))
			if err := writeTIFF(in, b.w, b.h, compressionNone, b.garbagePadding().pix); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tiffcp, "-c", "g4", "-r", fmt.Sprint(b.h), in, out)
			if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
				t.Fatalf("tiffcp -c g4: %v: %s", err, msg)
			}
			w, h, c, theirs, err := readTIFF(out)
			if err != nil {
				t.Fatal(err)
			}
			if w != b.w || h != b.h || c != compressionG4 {
				t.Fatalf("libtiff wrote %dx%d compression %d", w, h, c)
			}
			ours := encode(t, b)
			if !bytes.Equal(ours, theirs) {
				i := 0
				for i < len(ours) && i < len(theirs) && ours[i] == theirs[i] {
					i++
				}
				t.Fatalf("stream differs from libtiff's: %d bytes vs %d, first difference at byte %d", len(ours), len(theirs), i)
			}
		})
	}
}
