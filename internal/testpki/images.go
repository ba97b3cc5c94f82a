package testpki

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

// SignatureImage draws a blue handwritten-looking signature on a transparent background, as
// Decree 30 wants the approver's signature image.
func SignatureImage() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 600, 240))
	blue := color.NRGBA{R: 20, G: 40, B: 170, A: 255}
	for t := 0.0; t < 1; t += 0.00005 {
		x := 40 + 520*t
		y := 120 + 60*math.Sin(t*19) + 30*math.Cos(t*7)
		for dx := -3; dx <= 3; dx++ {
			for dy := -3; dy <= 3; dy++ {
				if dx*dx+dy*dy <= 9 {
					img.SetNRGBA(int(x)+dx, int(y)+dy, blue)
				}
			}
		}
	}
	return img
}

// Seal draws a red round seal (ring, inner ring, star) on a transparent background; at 300 dpi
// its 425 pixels are 36 mm, the real size of an agency seal.
func Seal() *image.NRGBA {
	const n = 425
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	red := color.NRGBA{R: 200, G: 20, B: 30, A: 255}
	c := float64(n) / 2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := float64(x)-c, float64(y)-c
			r := math.Hypot(dx, dy)
			a := math.Atan2(dy, dx)
			star := r < 60*(0.55+0.45*math.Cos(5*a)) // a five-pointed star
			if (r > 196 && r < 210) || (r > 140 && r < 146) || star {
				img.SetNRGBA(x, y, red)
			}
		}
	}
	return img
}

// WritePNG writes img with a pHYs chunk declaring dpi, so its real size is known.
func WritePNG(path string, img image.Image, dpi float64) error {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	data := b.Bytes()
	// insert pHYs after IHDR (8-byte signature + 25-byte IHDR chunk)
	ppm := uint32(dpi / 0.0254)
	chunk := make([]byte, 0, 21)
	chunk = binary.BigEndian.AppendUint32(chunk, 9)
	body := append([]byte("pHYs"), 0, 0, 0, 0, 0, 0, 0, 0, 1)
	binary.BigEndian.PutUint32(body[4:], ppm)
	binary.BigEndian.PutUint32(body[8:], ppm)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := append(append(append([]byte{}, data[:33]...), chunk...), data[33:]...)
	return os.WriteFile(path, out, 0o644)
}

// WriteImages writes signature.png (blue, 200 dpi) and seal.png (red, 300 dpi) into dir.
func WriteImages(dir string) (signature, seal string, err error) {
	signature, seal = dir+"/signature.png", dir+"/seal.png"
	if err = WritePNG(signature, SignatureImage(), 200); err != nil {
		return
	}
	err = WritePNG(seal, Seal(), 300)
	return
}
