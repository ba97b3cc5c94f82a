// Package scan inspects scanned image files (JPEG, PNG, TIFF) by reading their
// bytes — markers, chunk tables, image file directories — and describes, page
// by page, how each page can be embedded in a PDF without loss.
//
// The preferred way is passthrough: the scanner's compressed bytes are copied
// verbatim into the PDF image stream (JPEG as /DCTDecode, single-strip CCITT
// Group 4 as /CCITTFaxDecode, PNG IDAT data as /FlateDecode with the PNG
// predictor). Pages that cannot be passed through are described as Bilevel
// (1-bit pixels to be re-encoded losslessly) or Decode (pixels to be decoded
// and re-encoded losslessly); DecodeBilevel and DecodeImage return their
// pixels.
//
// Inspect never decodes pixel data and never allocates more than the file's
// size can justify; malformed files give errors, never panics.
package scan

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Kind says how a page can be embedded in a PDF.
type Kind int

const (
	// Invalid is the zero Kind; Inspect never returns it.
	Invalid Kind = iota
	// JPEG: the file's bytes verbatim as a /DCTDecode stream.
	JPEG
	// G4: one CCITT Group 4 strip verbatim as a /CCITTFaxDecode stream.
	G4
	// PNGFlate: the PNG's IDAT data verbatim as a /FlateDecode stream with
	// /Predictor 15.
	PNGFlate
	// Bilevel: a 1-bit page that must be re-encoded (multi-strip or tiled G4,
	// G3, uncompressed, LZW, PackBits or Deflate 1-bit TIFF). DecodeBilevel
	// returns its pixels.
	Bilevel
	// Decode: anything else; DecodeImage returns its pixels, to be
	// re-encoded losslessly (Flate).
	Decode
)

func (k Kind) String() string {
	switch k {
	case JPEG:
		return "JPEG"
	case G4:
		return "G4"
	case PNGFlate:
		return "PNGFlate"
	case Bilevel:
		return "Bilevel"
	case Decode:
		return "Decode"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Passthrough reports whether the page's Ranges can be copied verbatim.
func (k Kind) Passthrough() bool { return k == JPEG || k == G4 || k == PNGFlate }

// Range is a byte range of the source file.
type Range struct{ Off, Len int64 }

// Block is a part of a page that passes through as an image of its own (a strip or tile of a
// JPEG-in-TIFF page, each a JPEG stream): its bytes, and where it lies in pixels (a tile may
// reach past the page's right and bottom edges).
type Block struct {
	Ranges     []Range
	X, Y, W, H int
}

// Strip is one strip (or tile) of a TIFF page: where its compressed bytes
// are and which part of the page it covers. A PDF writer may embed the strips
// of a multi-strip G4 page as separate image XObjects.
type Strip struct {
	Off, Len int64
	X, Y     int // top-left pixel of the block
	W, H     int // block size in pixels (clipped to the page)
}

// Page is one page of an image file and how to embed it.
type Page struct {
	Index         int     // 0-based page in the file (TIFF IFD)
	Format        string  // "JPEG", "PNG", "TIFF"
	Width, Height int     // pixels
	XDPI, YDPI    float64 // 0 when the file does not say (or says nonsense)
	Rotate        int     // 0/90/180/270: page /Rotate from the EXIF/TIFF Orientation
	Mirror        bool    // shown mirrored left to right, before Rotate (Orientation 2, 4, 5, 7)
	Kind          Kind

	// For passthrough kinds: the byte ranges of the source file to copy
	// verbatim, in order, into the PDF stream.
	Ranges      []Range
	Blocks      []Block        // instead of Ranges: a page passed through in several images
	Filter      string         // "DCTDecode", "CCITTFaxDecode", "FlateDecode", "" for kinds that need work
	DecodeParms map[string]any // e.g. K -1, Columns, Rows, BlackIs1; Predictor 15, Colors, BitsPerComponent, Columns

	ColorSpace       string // "DeviceGray", "DeviceRGB", "DeviceCMYK", "Indexed"
	Palette          []byte // for Indexed: RGB triplets
	BitsPerComponent int
	DecodeArray      []float64 // e.g. [1 0 1 0 1 0 1 0] for Adobe CMYK JPEGs
	ReverseBits      bool      // TIFF FillOrder 2: bit-reverse every byte of Ranges while copying
	ICC              []byte    // embedded ICC profile, nil if none
	Bilevel          bool      // 1-bit image (not "colour" under Decree 30)
	Color            bool      // has colour channels
	Thumbnail        bool      // TIFF reduced-resolution image (NewSubfileType bit 0)

	// TIFF only.
	Compression int     // TIFF Compression tag value
	Photometric int     // TIFF PhotometricInterpretation
	Strips      []Strip // the page's strips or tiles

	Problems []string // why something is not ideal or must be transcoded

	tiff     *tiffPage // decoding details (TIFF)
	fileSize int64
}

func (p *Page) problem(format string, args ...any) {
	p.Problems = append(p.Problems, fmt.Sprintf(format, args...))
}

// ICCSpace is the device colour space an ICC profile describes (its header's data colour
// space, bytes 16–19): "DeviceGray", "DeviceRGB", "DeviceCMYK", or "" for another or none.
func ICCSpace(icc []byte) string {
	if len(icc) < 20 {
		return ""
	}
	return map[string]string{"GRAY": "DeviceGray", "RGB ": "DeviceRGB", "CMYK": "DeviceCMYK"}[string(icc[16:20])]
}

// matchICC drops an embedded ICC profile that describes other colours than the image's, with a
// note: the samples are what the image says they are, and a PDF colour space cannot take a
// profile of another number of components.
func (p *Page) matchICC() {
	cs := p.ColorSpace
	if cs == "Indexed" {
		cs = "DeviceRGB" // a palette's entries
	}
	if len(p.ICC) < 20 || cs == "" {
		return
	}
	if got := ICCSpace(p.ICC); got != cs {
		p.problem("the ICC profile describes %q colours, the image is %s: profile ignored", strings.TrimSpace(string(p.ICC[16:20])), p.ColorSpace)
		p.ICC = nil
	}
}

// catchPanics turns a panic (a bug) into an error; the fuzz test turns it off.
var catchPanics = true

// Limits.
const (
	maxDimension = 1 << 20 // pixels per side
	maxPages     = 100000  // TIFF pages
	maxStrips    = 1000000 // strips or tiles per TIFF page
	maxICC       = 1 << 20 // decompressed ICC profile (PNG)
	minDPI       = 50
	maxDPI       = 4800
)

// Inspect reads the header structures of the image file in r (size bytes) and
// returns its pages. It never decodes pixel data. The format is recognised by
// its magic bytes: JPEG (FF D8), PNG, TIFF (II*\0 / MM\0*).
func Inspect(r io.ReaderAt, size int64) (pages []Page, err error) {
	defer func() {
		// Belt and braces: a bug must not bring a batch conversion down.
		if !catchPanics {
			return
		}
		if e := recover(); e != nil {
			pages, err = nil, fmt.Errorf("internal error while inspecting: %v", e)
		}
	}()
	if size < 0 {
		return nil, errors.New("negative file size")
	}
	var magic [8]byte
	n, _ := r.ReadAt(magic[:], 0)
	if int64(n) > size {
		n = int(size)
	}
	m := magic[:n]
	switch {
	case len(m) == 0:
		return nil, errors.New("empty file")
	case len(m) >= 2 && m[0] == 0xFF && m[1] == 0xD8:
		p, err := inspectJPEG(r, size)
		if err != nil {
			return nil, err
		}
		p.fileSize = size
		p.matchICC()
		return []Page{p}, nil
	case len(m) >= 8 && string(m) == pngMagic:
		p, err := inspectPNG(r, size)
		if err != nil {
			return nil, err
		}
		p.fileSize = size
		p.matchICC()
		return []Page{p}, nil
	case len(m) >= 4 && (string(m[:4]) == "II*\x00" || string(m[:4]) == "MM\x00*"):
		pages, err := inspectTIFF(r, size)
		for i := range pages {
			pages[i].matchICC()
		}
		return pages, err
	case len(m) >= 4 && (string(m[:4]) == "II+\x00" || string(m[:4]) == "MM\x00+"):
		return nil, errors.New("BigTIFF not supported")
	case len(m) >= 4 && string(m[:4]) == "\x89PNG":
		return nil, errors.New("PNG: damaged signature (the file was probably transferred in text mode)")
	}
	return nil, errors.New("not a JPEG, PNG or TIFF file (unknown magic bytes)")
}

// dpiFrom turns a resolution in the given unit into dots per inch and checks
// it: perInch is the factor from the unit to inches. It returns 0 and a
// problem text for missing, zero or absurd values.
func checkDPI(v float64, what string) (float64, string) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Sprintf("%s DPI is not a number", what)
	case v == 0:
		return 0, fmt.Sprintf("zero %s DPI", what)
	case v < minDPI || v > maxDPI:
		return 0, fmt.Sprintf("%s DPI %.4g is not plausible (outside %d–%d): ignored", what, v, minDPI, maxDPI)
	}
	return v, ""
}

// setDPI sets both resolutions, checking each.
func (p *Page) setDPI(x, y float64) {
	var px, py string
	p.XDPI, px = checkDPI(x, "horizontal")
	p.YDPI, py = checkDPI(y, "vertical")
	if px != "" && py != "" && x == y {
		// One message for both axes.
		p.XDPI, p.YDPI = 0, 0
		p.problem("%s", trimAxis(px))
		return
	}
	if px != "" {
		p.problem("%s", px)
	}
	if py != "" {
		p.problem("%s", py)
	}
	if (p.XDPI == 0) != (p.YDPI == 0) {
		p.XDPI, p.YDPI = 0, 0
		p.problem("only one axis has a usable DPI: both ignored")
	}
}

func trimAxis(s string) string {
	s = strings.Replace(s, "horizontal ", "", 1)
	return strings.Replace(s, "vertical ", "", 1)
}

// orientation maps an EXIF/TIFF Orientation value to a page rotation.
func (p *Page) setOrientation(o int, where string) {
	switch o {
	case 0, 1:
		p.Rotate = 0
	case 3:
		p.Rotate = 180
	case 6:
		p.Rotate = 90
	case 8:
		p.Rotate = 270
	case 2, 4, 5, 7: // mirrored left to right, then turned
		p.Mirror, p.Rotate = true, map[int]int{2: 0, 4: 180, 5: 270, 7: 90}[o]
	default:
		p.problem("%s Orientation %d is invalid: ignored", where, o)
	}
}

// errTruncated is wrapped by errors about data ending early.
var errTruncated = errors.New("truncated")

// readAt reads exactly len(b) bytes at off, within size.
func readAt(r io.ReaderAt, size int64, b []byte, off int64) error {
	if off < 0 || off > size || int64(len(b)) > size-off {
		return errTruncated
	}
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		return errTruncated
	}
	return err
}

// Bytes is a file read whole into memory; inspecting it scans the bytes where they lie.
type Bytes []byte

// ReadAt implements io.ReaderAt.
func (b Bytes) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
