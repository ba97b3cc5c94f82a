package pdf

import (
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Word is a recognized word and where it stands on the page, in PDF units (origin bottom left).
type Word struct {
	Text string
	Rect Rect
}

// ocrFont is the resource name of the text layer's font.
const ocrFont = "VbdtOCR"

// AddTextLayer adds to page n an invisible text layer of words (text rendering mode 3): each
// word stretched over its box, so that selecting and searching find it where the scan shows
// it, while nothing the page shows changes. The font is embedded as a subset of the words'
// glyphs, with a ToUnicode map.
func (inc *Increment) AddTextLayer(n int, words []Word, f *Font) error {
	if len(words) == 0 {
		return nil
	}
	var texts []string
	var b strings.Builder
	b.WriteString("q BT 3 Tr\n")
	for _, w := range words {
		size := w.Rect.Height()
		if size <= 0 || w.Rect.Width() <= 0 {
			continue
		}
		width, err := f.Width(w.Text, size)
		if err != nil || width <= 0 {
			continue // glyphs the font lacks: the word is left out
		}
		hex, err := f.show(w.Text)
		if err != nil {
			continue
		}
		texts = append(texts, w.Text)
		// the baseline a fifth of the box above its bottom, as for Latin text
		fmt.Fprintf(&b, "/%s %.2f Tf %.2f Tz 1 0 0 1 %.2f %.2f Tm %s Tj\n", ocrFont, size,
			100*w.Rect.Width()/width, w.Rect.X1, w.Rect.Y1+size/5, hex)
	}
	b.WriteString("ET Q\n")
	if len(texts) == 0 {
		return nil
	}
	pd, _, err := inc.modifyPage(n)
	if err != nil {
		return err
	}
	font := f.embed(inc, texts)
	res, err := inc.pageResources(pd)
	if err != nil {
		return err
	}
	fonts, _ := res["Font"].(types.Dict)
	if fonts == nil {
		fonts = types.Dict{}
	} else {
		fonts = fonts.Clone().(types.Dict)
	}
	fonts[ocrFont] = font.ref()
	res["Font"] = fonts
	layer := inc.AddStream(types.Dict{"Filter": types.Name("FlateDecode")}, deflate([]byte(b.String())))
	switch c := pd["Contents"].(type) {
	case types.Array:
		pd["Contents"] = append(append(types.Array{}, c...), layer.ref())
	case nil:
		pd["Contents"] = layer.ref()
	default: // one stream: keep it, then the layer
		pd["Contents"] = types.Array{c, layer.ref()}
	}
	return nil
}

// pageResources returns page dictionary pd's resources for changing in this increment: its own
// dictionary, or the working copy of the indirect one it names.
func (inc *Increment) pageResources(pd types.Dict) (types.Dict, error) {
	switch r := pd["Resources"].(type) {
	case types.Dict:
		c := r.Clone().(types.Dict)
		pd["Resources"] = c
		return c, nil
	case types.IndirectRef:
		return inc.modifyDict(r)
	case nil:
		c := types.Dict{}
		pd["Resources"] = c
		return c, nil
	}
	return nil, damaged("the page's /Resources is not a dictionary")
}
