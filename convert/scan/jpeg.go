package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

func jpegMarkerName(m byte) string {
	switch {
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
		return fmt.Sprintf("SOF%d", m-0xC0)
	}
	switch m {
	case 0xC4:
		return "DHT"
	case 0xCC:
		return "DAC"
	case 0xDA:
		return "SOS"
	case 0xDB:
		return "DQT"
	case 0xDC:
		return "DNL"
	case 0xDD:
		return "DRI"
	case 0xFE:
		return "COM"
	}
	return fmt.Sprintf("marker 0x%02X", m)
}

func sofCoding(m byte) string {
	switch m {
	case 0xC0:
		return "baseline"
	case 0xC1:
		return "extended sequential"
	case 0xC2:
		return "progressive"
	case 0xC3:
		return "lossless"
	case 0xC5:
		return "hierarchical sequential"
	case 0xC6:
		return "hierarchical progressive"
	case 0xC7:
		return "hierarchical lossless"
	case 0xC9:
		return "arithmetic-coded sequential"
	case 0xCA:
		return "arithmetic-coded progressive"
	case 0xCB:
		return "arithmetic-coded lossless"
	case 0xCD:
		return "arithmetic-coded hierarchical sequential"
	case 0xCE:
		return "arithmetic-coded hierarchical progressive"
	case 0xCF:
		return "arithmetic-coded hierarchical lossless"
	}
	return "unknown"
}

type jpegInfo struct {
	sof        byte
	precision  int
	width      int
	height     int
	compIDs    []byte
	jfif       bool
	jfifUnits  int
	jfifX      int
	jfifY      int
	adobe      bool
	transform  int
	exif       []byte
	icc        map[int][]byte
	iccCount   int
	iccBad     string
	sawSOS     bool
	extraneous bool
	compTq     []byte // each component's quantization table
	// tables are the quantization and Huffman tables defined so far
	tables jpegTables
}

// jpegTables records which tables a JPEG stream has defined: a decoder cannot decode a scan
// whose tables are missing (an abbreviated stream whose tables were lost).
type jpegTables struct {
	dqt [4]bool
	dht [2][4]bool // class 0 DC, 1 AC
}

// define records the tables of a DQT or DHT segment.
func (jt *jpegTables) define(m byte, s []byte) error {
	for len(s) > 0 {
		id := s[0] & 0x0F
		if id > 3 {
			return fmt.Errorf("JPEG: %s segment defines table %d (0 to 3 only)", jpegMarkerName(m), id)
		}
		var n int
		if m == 0xDB { // DQT: 64 values of 8 or 16 bits
			n = 1 + 64*(1+int(s[0]>>4))
			jt.dqt[id] = true
		} else { // DHT: 16 counts, then the values
			if len(s) < 17 || s[0]>>4 > 1 {
				return errors.New("JPEG: DHT segment is damaged")
			}
			n = 17
			for _, c := range s[1:17] {
				n += int(c)
			}
			jt.dht[s[0]>>4][id] = true
		}
		if n > len(s) {
			return fmt.Errorf("JPEG: %s segment is too short for its tables", jpegMarkerName(m))
		}
		s = s[n:]
	}
	return nil
}

// checkScan checks that a scan's tables are defined (T.81 B.2.4): each component's
// quantization table, its DC Huffman table for a DC first scan, its AC table for AC data.
func (ji *jpegInfo) checkScan(s []byte) error {
	if len(s) < 1 || len(s) < 1+2*int(s[0])+3 {
		return errors.New("JPEG: SOS segment is too short")
	}
	ns := int(s[0])
	ss, se, ah := s[1+2*ns], s[2+2*ns], s[3+2*ns]>>4
	for i := range ns {
		c, td, ta := s[1+2*i], s[2+2*i]>>4, s[2+2*i]&0x0F
		k := bytes.IndexByte(ji.compIDs, c)
		if k < 0 || td > 3 || ta > 3 {
			return fmt.Errorf("JPEG: the scan names component %d, which the frame does not have", c)
		}
		if tq := ji.compTq[k]; tq > 3 || !ji.tables.dqt[tq] {
			return fmt.Errorf("JPEG: quantization table %d is not defined (its tables are missing: an abbreviated stream, or JPEGTables lost)", tq)
		}
		if ss == 0 && ah == 0 && !ji.tables.dht[0][td] {
			return fmt.Errorf("JPEG: DC Huffman table %d is not defined (its tables are missing)", td)
		}
		if se > 0 && (ji.sof != 0xC2 || ss > 0) && !ji.tables.dht[1][ta] {
			return fmt.Errorf("JPEG: AC Huffman table %d is not defined (its tables are missing)", ta)
		}
	}
	return nil
}

// inspectJPEG walks the markers of a JPEG file. Entropy-coded data is only
// scanned for the next marker, never decoded.
func inspectJPEG(r io.ReaderAt, size int64) (Page, error) {
	p, _, err := inspectJPEGWith(r, size, jpegTables{})
	return p, err
}

// inspectJPEGWith walks a JPEG stream whose decoder already holds the tables known (an
// abbreviated stream of a JPEG-in-TIFF block); it also returns what it read.
func inspectJPEGWith(r io.ReaderAt, size int64, known jpegTables) (Page, *jpegInfo, error) {
	p := Page{Format: "JPEG"}
	ji := jpegInfo{tables: known}
	off := int64(2)
	var b2 [2]byte
	end := int64(-1)
	var seg []byte
	for end < 0 {
		if err := readAt(r, size, b2[:], off); err != nil {
			if ji.sawSOS {
				return Page{}, nil, errors.New("truncated JPEG: no EOI marker (the file ends inside the image data)")
			}
			return Page{}, nil, errors.New("truncated JPEG: no SOS marker (the file ends before the image data)")
		}
		if b2[0] != 0xFF {
			// Garbage between segments: tolerated (like libjpeg), with a note.
			ji.extraneous = true
			next, err := jpegNextMarker(r, size, off)
			if err != nil {
				return Page{}, nil, err
			}
			off = next
			continue
		}
		m := b2[1]
		if m == 0xFF { // fill byte
			off++
			continue
		}
		off += 2
		switch {
		case m == 0xD9: // EOI
			if !ji.sawSOS {
				return Page{}, nil, errors.New("truncated JPEG: no SOS marker (EOI comes before any image data)")
			}
			end = off
			continue
		case m == 0xD8:
			return Page{}, nil, errors.New("JPEG: a second SOI marker inside the file (several images concatenated?)")
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7) || m == 0x00:
			continue // standalone markers
		}
		if err := readAt(r, size, b2[:], off); err != nil {
			return Page{}, nil, fmt.Errorf("truncated JPEG: %s segment has no length", jpegMarkerName(m))
		}
		n := int64(binary.BigEndian.Uint16(b2[:]))
		if n < 2 {
			return Page{}, nil, fmt.Errorf("JPEG: %s segment has an invalid length %d", jpegMarkerName(m), n)
		}
		if n > size-off {
			return Page{}, nil, fmt.Errorf("truncated JPEG: %s segment ends past the end of the file", jpegMarkerName(m))
		}
		body := off + 2
		blen := n - 2
		off += n
		parse := (m >= 0xE0 && m <= 0xEF) || (m >= 0xC0 && m <= 0xCF && m != 0xC8 && m != 0xCC) || m == 0xDA || m == 0xDB
		if !parse {
			continue
		}
		seg = seg[:0]
		if int64(cap(seg)) < blen {
			seg = make([]byte, blen)
		}
		seg = seg[:blen]
		if err := readAt(r, size, seg, body); err != nil {
			return Page{}, nil, fmt.Errorf("JPEG: reading %s: %v", jpegMarkerName(m), err)
		}
		switch {
		case m == 0xDB || m == 0xC4: // DQT, DHT
			if err := ji.tables.define(m, seg); err != nil {
				return Page{}, nil, err
			}
		case m == 0xDA: // SOS
			if ji.sof == 0 {
				return Page{}, nil, errors.New("JPEG: no SOF marker before the image data")
			}
			if err := ji.checkScan(seg); err != nil {
				return Page{}, nil, err
			}
			ji.sawSOS = true
			next, err := jpegNextMarker(r, size, off)
			if err != nil {
				return Page{}, nil, err
			}
			off = next
		case m >= 0xC0 && m <= 0xCF:
			if ji.sof != 0 {
				return Page{}, nil, errors.New("JPEG: several SOF markers (hierarchical or damaged file) are not supported")
			}
			if err := ji.parseSOF(m, seg); err != nil {
				return Page{}, nil, err
			}
		default:
			ji.parseAPP(m, seg)
		}
	}
	if end < size {
		p.problem("%d bytes after the JPEG end marker: not embedded", size-end)
	}
	if ji.extraneous {
		p.problem("extraneous bytes between JPEG segments (tolerated)")
	}
	p.Width, p.Height = ji.width, ji.height
	p.Kind = JPEG
	p.Filter = "DCTDecode"
	p.Ranges = []Range{{0, end}}
	p.BitsPerComponent = 8
	switch len(ji.compIDs) {
	case 1:
		p.ColorSpace = "DeviceGray"
	case 3:
		p.ColorSpace = "DeviceRGB"
		p.Color = true
		if !ji.adobe && !ji.jfif && bytes.Equal(ji.compIDs, []byte("RGB")) {
			// Stored as RGB without an Adobe marker: PDF would apply the
			// YCbCr transform by default.
			p.DecodeParms = map[string]any{"ColorTransform": 0}
		}
	case 4:
		p.ColorSpace = "DeviceCMYK"
		p.Color = true
		if ji.adobe {
			p.DecodeArray = []float64{1, 0, 1, 0, 1, 0, 1, 0}
		} else {
			p.problem("CMYK JPEG without an Adobe APP14 marker: its colours may come out inverted")
		}
	}
	ji.dpi(&p)
	ji.orientation(&p)
	p.ICC = ji.iccProfile(&p)
	return p, &ji, nil
}

// jpegNextMarker scans entropy-coded data (or garbage) from off for the next
// marker that is not a restart marker or a stuffed zero, and returns its
// offset.
func jpegNextMarker(r io.ReaderAt, size, off int64) (int64, error) {
	if b, ok := r.(Bytes); ok && int64(len(b)) == size { // in memory: scanned where it lies
		if i := nextMarker(b[min(off, size):]); i >= 0 {
			return off + int64(i), nil
		}
		return 0, errJPEGNoEOI
	}
	buf := make([]byte, min(64<<10, max(size-off, 2)))
	for off < size {
		n := int64(len(buf))
		if n > size-off {
			n = size - off
		}
		if err := readAt(r, size, buf[:n], off); err != nil {
			return 0, err
		}
		b := buf[:n]
		if i := nextMarker(b); i >= 0 {
			return off + int64(i), nil
		}
		if b[n-1] == 0xFF && off+n < size {
			off += n - 1 // the byte after 0xFF is in the next chunk
		} else {
			off += n
		}
	}
	return 0, errJPEGNoEOI
}

var errJPEGNoEOI = errors.New("truncated JPEG: no EOI marker (the file ends inside the image data)")

// nextMarker returns the offset in b of the first marker that is not a restart marker, a
// stuffed zero or a fill byte, or -1 when b holds none (b may end with a lone 0xFF).
func nextMarker(b []byte) int {
	i := 0
	for {
		j := bytes.IndexByte(b[i:], 0xFF)
		if j < 0 {
			return -1
		}
		i += j
		if i+1 >= len(b) {
			return -1
		}
		switch c := b[i+1]; {
		case c == 0xFF:
			i++ // fill byte: look at the next one
		case c == 0x00 || (c >= 0xD0 && c <= 0xD7):
			i += 2
		default:
			return i
		}
	}
}

func (ji *jpegInfo) parseSOF(m byte, s []byte) error {
	switch m {
	case 0xC0, 0xC1, 0xC2:
	default:
		return fmt.Errorf("JPEG: %s coding (SOF%d) cannot be embedded in PDF and cannot be decoded here either", sofCoding(m), m-0xC0)
	}
	if len(s) < 6 {
		return errors.New("JPEG: SOF segment is too short")
	}
	ji.sof = m
	ji.precision = int(s[0])
	ji.height = int(binary.BigEndian.Uint16(s[1:]))
	ji.width = int(binary.BigEndian.Uint16(s[3:]))
	nc := int(s[5])
	if len(s) < 6+3*nc {
		return errors.New("JPEG: SOF segment is too short for its components")
	}
	if ji.precision != 8 {
		return fmt.Errorf("JPEG: %d-bit precision is not supported (PDF takes 8-bit JPEG only, and it cannot be decoded here)", ji.precision)
	}
	if ji.width == 0 {
		return errors.New("JPEG: image width is 0")
	}
	if ji.height == 0 {
		return errors.New("JPEG: image height given by a DNL marker is not supported")
	}
	switch nc {
	case 1, 3, 4:
	default:
		return fmt.Errorf("JPEG: %d colour components are not supported (1, 3 or 4)", nc)
	}
	ji.compIDs, ji.compTq = make([]byte, nc), make([]byte, nc)
	for i := range ji.compIDs {
		ji.compIDs[i], ji.compTq[i] = s[6+3*i], s[8+3*i]
	}
	return nil
}

func (ji *jpegInfo) parseAPP(m byte, s []byte) {
	switch {
	case m == 0xE0 && len(s) >= 12 && string(s[:5]) == "JFIF\x00":
		if !ji.jfif {
			ji.jfif = true
			ji.jfifUnits = int(s[7])
			ji.jfifX = int(binary.BigEndian.Uint16(s[8:]))
			ji.jfifY = int(binary.BigEndian.Uint16(s[10:]))
		}
	case m == 0xE1 && len(s) >= 6 && string(s[:6]) == "Exif\x00\x00":
		if ji.exif == nil {
			ji.exif = append([]byte(nil), s[6:]...)
		}
	case m == 0xE2 && len(s) >= 14 && string(s[:12]) == "ICC_PROFILE\x00":
		seq, cnt := int(s[12]), int(s[13])
		if ji.icc == nil {
			ji.icc = map[int][]byte{}
			ji.iccCount = cnt
		}
		switch {
		case cnt != ji.iccCount:
			ji.iccBad = "ICC profile chunks disagree on their count"
		case seq < 1 || seq > cnt:
			ji.iccBad = fmt.Sprintf("ICC profile chunk %d of %d is out of range", seq, cnt)
		case ji.icc[seq] != nil:
			ji.iccBad = fmt.Sprintf("ICC profile chunk %d appears twice", seq)
		default:
			ji.icc[seq] = append([]byte(nil), s[14:]...)
		}
	case m == 0xEE && len(s) >= 12 && string(s[:5]) == "Adobe":
		ji.adobe = true
		ji.transform = int(s[11])
	}
}

func (ji *jpegInfo) iccProfile(p *Page) []byte {
	if ji.icc == nil {
		return nil
	}
	if ji.iccBad == "" && len(ji.icc) != ji.iccCount {
		ji.iccBad = fmt.Sprintf("ICC profile has %d of its %d chunks", len(ji.icc), ji.iccCount)
	}
	if ji.iccBad != "" {
		p.problem("%s: profile ignored", ji.iccBad)
		return nil
	}
	var out []byte
	for i := 1; i <= ji.iccCount; i++ {
		out = append(out, ji.icc[i]...)
	}
	if len(out) < 132 {
		p.problem("ICC profile is too short (%d bytes): ignored", len(out))
		return nil
	}
	return out
}

func (ji *jpegInfo) dpi(p *Page) {
	if ji.jfif && (ji.jfifUnits == 1 || ji.jfifUnits == 2) {
		x, y := float64(ji.jfifX), float64(ji.jfifY)
		if ji.jfifUnits == 2 {
			x, y = x*2.54, y*2.54
		}
		p.setDPI(x, y)
		return
	}
	if ji.jfif && ji.jfifUnits != 0 {
		p.problem("JFIF density unit %d is invalid", ji.jfifUnits)
	}
	if ji.exif != nil {
		if ok := ji.exifDPI(p); ok {
			return
		}
	}
	p.problem("no DPI in the file")
}

// exifIFD0 reads the first IFD of the EXIF TIFF structure.
func (ji *jpegInfo) exifIFD0() (*tiffDir, tagMap, error) {
	br := bytes.NewReader(ji.exif)
	t, off, err := newTIFFDir(br, int64(len(ji.exif)))
	if err != nil {
		return nil, nil, err
	}
	es, _, err := t.readIFD(off)
	if err != nil {
		return nil, nil, err
	}
	return t, newTagMap(es), nil
}

func (ji *jpegInfo) exifDPI(p *Page) bool {
	t, m, err := ji.exifIFD0()
	if err != nil {
		return false
	}
	if _, ok := m[tXResolution]; !ok {
		return false
	}
	n := len(p.Problems)
	p.tiffResolution(t, m)
	for i := n; i < len(p.Problems); i++ {
		p.Problems[i] = "EXIF: " + p.Problems[i]
	}
	return true
}

func (ji *jpegInfo) orientation(p *Page) {
	if ji.exif == nil {
		return
	}
	t, m, err := ji.exifIFD0()
	if err != nil {
		p.problem("EXIF data is unreadable (%v): orientation not known", err)
		return
	}
	e, ok := m[tOrientation]
	if !ok {
		return
	}
	o, err := t.uint1(e)
	if err != nil {
		p.problem("EXIF Orientation unreadable: %v", err)
		return
	}
	p.setOrientation(int(o), "EXIF")
}
