package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/png"
	"os"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Image is a PNG to draw: the signature of an approver, the seal of an agency.
type Image struct {
	W, H  int
	DPI   float64 // from the PNG's pHYs chunk, 0 when absent
	rgb   []byte
	alpha []byte // nil when fully opaque
	// the samples compressed once, for every document a batch draws the image on
	compress    sync.Once
	zrgb, zmask []byte
}

// LoadPNG reads a PNG file, keeping transparency.
func LoadPNG(path string) (*Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	im := &Image{W: b.Dx(), H: b.Dy(), DPI: pngDPI(data), rgb: make([]byte, 0, 3*b.Dx()*b.Dy())}
	alpha := make([]byte, 0, b.Dx()*b.Dy())
	opaque := true
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if a != 0 && a != 0xffff { // un-premultiply
				r, g, bl = r*0xffff/a, g*0xffff/a, bl*0xffff/a
			}
			im.rgb = append(im.rgb, byte(r>>8), byte(g>>8), byte(bl>>8))
			alpha = append(alpha, byte(a>>8))
			opaque = opaque && a == 0xffff
		}
	}
	if !opaque {
		im.alpha = alpha
	}
	return im, nil
}

// pngDPI reads the pHYs chunk (pixels per metre).
func pngDPI(data []byte) float64 {
	i := bytes.Index(data, []byte("pHYs"))
	if i < 0 || len(data) < i+13 || data[i+12] != 1 {
		return 0
	}
	ppm := binary.BigEndian.Uint32(data[i+4:])
	return float64(ppm) * 0.0254
}

// embed writes the image (and its soft mask) and returns the image XObject.
func (im *Image) embed(inc *Increment) Ref {
	im.compress.Do(func() {
		im.zrgb = deflate(im.rgb)
		if im.alpha != nil {
			im.zmask = deflate(im.alpha)
		}
	})
	d := types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"), "Width": types.Integer(im.W),
		"Height": types.Integer(im.H), "ColorSpace": types.Name("DeviceRGB"), "BitsPerComponent": types.Integer(8),
		"Filter": types.Name("FlateDecode")}
	if im.alpha != nil {
		mask := inc.AddStream(types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"), "Width": types.Integer(im.W),
			"Height": types.Integer(im.H), "ColorSpace": types.Name("DeviceGray"), "BitsPerComponent": types.Integer(8),
			"Filter": types.Name("FlateDecode")}, im.zmask)
		d["SMask"] = mask.ref()
	}
	return inc.AddStream(d, im.zrgb)
}
