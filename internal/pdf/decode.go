package pdf

import (
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Stream data is decoded by vbdt itself rather than by pdfcpu's filters, which inflate a whole
// stream into memory before they look at its size: a 1 MB stream of deflated zeros became
// gigabytes before the limit was checked. Here every stage reads through a bounded reader that
// stops at the limit, and inflating stops early when the data grows far faster than any real
// content does (a decompression bomb).
const (
	// bombFloor is the decoded size up to which the compression ratio is not judged.
	bombFloor = 8 << 20
	// bombRatio is the most decoded bytes per encoded byte accepted beyond bombFloor. Deflate
	// reaches about 1030; page content, fonts and object streams stay well under 100.
	bombRatio = 256
)

// errTooLarge marks stream data that decodes to more than vbdt reads: a decompression bomb,
// not damage pdfcpu's repairing reader could mend.
var errTooLarge = errors.New("a stream decodes to too much data")

// decodeStream decodes a stream's raw data through its filters, to at most limit bytes.
// Image filters (DCT, JPX, JBIG2, CCITT) end the pipeline: their data is returned encoded, as
// vbdt never needs pixels.
func decodeStream(sd *types.StreamDict, raw []byte, limit int64) ([]byte, error) {
	data := raw
	for i, f := range sd.FilterPipeline {
		parms := filterParms(f.DecodeParms)
		var err error
		switch f.Name {
		case filter.Flate:
			var zr io.ReadCloser
			in := &countingReader{r: bytes.NewReader(data)}
			if zr, err = zlib.NewReader(in); err != nil {
				return nil, fmt.Errorf("%s: %v", f.Name, err)
			}
			data, err = readBounded(zr, in, limit)
			zr.Close()
			if err == nil {
				data, err = unpredict(data, parms)
			}
		case filter.ASCIIHex:
			data, err = asciiHex(data)
		case filter.ASCII85:
			data = bytes.TrimPrefix(bytes.TrimSpace(data), []byte("<~"))
			if end := bytes.Index(data, []byte("~>")); end >= 0 {
				data = data[:end]
			}
			data, err = readBounded(ascii85.NewDecoder(bytes.NewReader(data)), nil, limit)
		case filter.RunLength:
			data, err = runLength(data, limit)
		case filter.LZW:
			// pdfcpu's LZW decoder copies through a reader limited to its budget; the budget
			// stands in for the ratio check.
			budget := min(limit, max(bombFloor, bombRatio*int64(len(data))))
			var fi filter.Filter
			if fi, err = filter.NewFilter(f.Name, parms, budget); err == nil {
				var r io.Reader
				if r, err = fi.Decode(bytes.NewReader(data)); err == nil {
					data, err = readBounded(r, nil, limit)
				}
			}
			if errors.Is(err, filter.ErrDecodeLimitExceeded) {
				err = fmt.Errorf("%w: more than %d MB", errTooLarge, budget>>20)
			}
		case filter.DCT, filter.JPX, filter.JBIG2, filter.CCITTFax:
			return data, nil
		default:
			return nil, fmt.Errorf("unknown filter /%s", f.Name)
		}
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return nil, err
			}
			return nil, fmt.Errorf("filter %d (/%s): %v", i+1, f.Name, err)
		}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d MB", errTooLarge, limit>>20)
	}
	return data, nil
}

// countingReader counts the encoded bytes a decoder has consumed. It is an io.ByteReader, so
// that the decoder reads no further ahead than it needs.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// readBounded reads r to its end, but never more than limit bytes, nor — once past bombFloor —
// more than bombRatio bytes for each encoded byte consumed so far (in nil: not judged). A
// truncated deflate stream, common in the wild, keeps what was decoded.
func readBounded(r io.Reader, in *countingReader, limit int64) ([]byte, error) {
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if int64(len(out)) > limit {
			return nil, fmt.Errorf("%w: more than %d MB", errTooLarge, limit>>20)
		}
		if in != nil && len(out) > bombFloor && int64(len(out)) > bombRatio*in.n {
			return nil, fmt.Errorf("%w: %d bytes inflate to more than %d MB (a decompression bomb)", errTooLarge, in.n, len(out)>>20)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// filterParms reads a filter's integer decode parameters.
func filterParms(d types.Dict) map[string]int {
	m := map[string]int{}
	for k, v := range d {
		switch n := v.(type) {
		case types.Integer:
			m[k] = int(n)
		case types.Boolean:
			if n {
				m[k] = 1
			} else {
				m[k] = 0
			}
		}
	}
	return m
}

// unpredict undoes a Flate predictor (PDF 32000-1 §7.4.4.4): PNG predictors row by row, or
// TIFF predictor 2 for 8-bit components. The output is never longer than the input.
func unpredict(data []byte, parms map[string]int) ([]byte, error) {
	pred, ok := parms["Predictor"]
	if !ok || pred <= 1 {
		return data, nil
	}
	colors, bpc, columns := 1, 8, 1
	if v, ok := parms["Colors"]; ok {
		colors = v
	}
	if v, ok := parms["BitsPerComponent"]; ok {
		bpc = v
	}
	if v, ok := parms["Columns"]; ok {
		columns = v
	}
	if colors < 1 || colors > 64 || bpc < 1 || bpc > 16 || columns < 1 || columns > 1<<20 {
		return nil, fmt.Errorf("bad predictor parameters")
	}
	bpp := (colors*bpc + 7) / 8
	row := (colors*bpc*columns + 7) / 8
	if pred == 2 {
		if bpc != 8 {
			return nil, fmt.Errorf("TIFF predictor with %d bits per component is not supported", bpc)
		}
		for start := 0; start+row <= len(data); start += row {
			r := data[start : start+row]
			for i := bpp; i < len(r); i++ {
				r[i] += r[i-bpp]
			}
		}
		return data, nil
	}
	if pred < 10 || pred > 15 {
		return nil, fmt.Errorf("unknown predictor %d", pred)
	}
	out := make([]byte, 0, len(data)/(row+1)*row)
	prev := make([]byte, row)
	for start := 0; start < len(data); start += row + 1 {
		if start+row+1 > len(data) {
			return nil, fmt.Errorf("predictor: a partial row")
		}
		kind, cur := data[start], data[start+1:start+1+row]
		for i := range cur {
			var a, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			b := prev[i]
			switch kind {
			case 0:
			case 1:
				cur[i] += a
			case 2:
				cur[i] += b
			case 3:
				cur[i] += byte((int(a) + int(b)) / 2)
			case 4:
				cur[i] += paeth(a, b, c)
			default:
				return nil, fmt.Errorf("predictor: unknown row filter %d", kind)
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// asciiHex decodes ASCIIHexDecode data up to its ">" end marker.
func asciiHex(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data)/2+1)
	var hi byte
	half := false
	for _, c := range data {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		case c == '>':
			if half {
				out = append(out, hi<<4)
			}
			return out, nil
		case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0:
			continue
		default:
			return nil, fmt.Errorf("bad hex digit %q", c)
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out, nil
}

// runLength decodes RunLengthDecode data, to at most limit bytes.
func runLength(data []byte, limit int64) ([]byte, error) {
	var out []byte
	for i := 0; i < len(data); {
		n := int(data[i])
		i++
		switch {
		case n == 128:
			return out, nil
		case n < 128:
			end := min(i+n+1, len(data))
			out = append(out, data[i:end]...)
			i = end
		default:
			if i >= len(data) {
				return out, nil
			}
			for range 257 - n {
				out = append(out, data[i])
			}
			i++
		}
		if int64(len(out)) > limit {
			return nil, fmt.Errorf("%w: more than %d MB", errTooLarge, limit>>20)
		}
	}
	return out, nil
}
