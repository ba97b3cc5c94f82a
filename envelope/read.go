package envelope

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"

	asmbase64 "github.com/segmentio/asm/base64" // SIMD decoding; encoding/base64 names an error's offset
)

// Limits bound what a reader accepts from an envelope; zero fields take the defaults.
type Limits struct {
	// HeaderBytes bounds everything but the attachments' contents (default 16 MiB).
	HeaderBytes int64
	// Depth bounds the nesting of elements (default 32).
	Depth int
	// Elements bounds their number (default 100 000).
	Elements int
	// Attachments bounds the attached files (default 1 000).
	Attachments int
	// AttachmentBytes bounds each attached file, decoded (default 4 GiB).
	AttachmentBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.HeaderBytes <= 0 {
		l.HeaderBytes = 16 << 20
	}
	if l.Depth <= 0 {
		l.Depth = 32
	}
	if l.Elements <= 0 {
		l.Elements = 100_000
	}
	if l.Attachments <= 0 {
		l.Attachments = 1000
	}
	if l.AttachmentBytes <= 0 {
		l.AttachmentBytes = 4 << 30
	}
	return l
}

// ReadOptions say how an envelope is read.
type ReadOptions struct {
	Limits Limits
	// Attachment says where the decoded bytes of the index-th attached file go, once its
	// content starts (a holds the elements read before it; the rest are filled in later, in the
	// same *Attachment). nil, or a nil writer: the bytes are checked and hashed, then dropped.
	Attachment func(index int, a *Attachment) (io.Writer, error)
	// HeaderOnly stops at the end of the MessageHeader.
	HeaderOnly bool
	// NoHash leaves the attachments' SHA256 empty: a reader that only checks an envelope
	// spares the hashing.
	NoHash bool
}

// ErrNotEdXML is input that is not an edXML envelope.
var ErrNotEdXML = errors.New("not an edXML envelope")

// SyntaxError is input that is not well-formed XML, or breaks a limit, at a place.
type SyntaxError struct {
	Pos
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// ReadHeader reads the MessageHeader of an envelope, stopping once it has it.
func ReadHeader(r io.Reader) (*MessageHeader, error) {
	e, err := Read(r, ReadOptions{HeaderOnly: true})
	switch {
	case errors.Is(err, ErrNotEdXML):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNotEdXML, err)
	case !e.hasHeader:
		return nil, fmt.Errorf("%w: no MessageHeader", ErrNotEdXML)
	}
	return &e.Header, nil
}

// node is an element read, with its text and children: the envelope less its attachments'
// contents, which are streamed, is small and bounded.
type node struct {
	name xml.Name
	text string
	buf  []byte // text as it arrives, in pieces (comments and CDATA cut it); text once ended
	kids []*node
	// seen counts the children by local name, for the paths of repeated ones.
	seen map[string]int
	pos  Pos
	// path is the element path from the root, with positions for repeated elements.
	path string
}

// counter is the byte source the XML decoder reads: it counts what it gives, so that the
// bytes outside attachment contents stay within their bound.
type counter struct {
	br    *bufio.Reader
	n     int64 // bytes given to the decoder
	limit int64
	last  [2]byte // the last two bytes given: "/>" ends an empty element
}

var errHeaderLimit = errors.New("limit")

func (c *counter) ReadByte() (byte, error) {
	if c.n >= c.limit {
		return 0, errHeaderLimit
	}
	b, err := c.br.ReadByte()
	if err == nil {
		c.n++
		c.last[0], c.last[1] = c.last[1], b
	}
	return b, err
}

func (c *counter) Read(p []byte) (int, error) { // never called by the decoder (it has ReadByte)
	return 0, errors.New("envelope: unexpected Read")
}

// reader reads one envelope.
type reader struct {
	o        ReadOptions
	lim      Limits
	src      *bufio.Reader
	c        *counter
	dec      *xml.Decoder
	env      *Envelope
	elements int
	// lines is how many line ends were read past the decoder (in streamed contents), added to
	// the decoder's line numbers.
	lines       int
	noNamespace bool
	// streamed are the attachments whose contents were read, by their Attachment element.
	streamed map[*node]*Attachment
}

// Read reads an envelope: its header into the model, its attachments' contents to the writers
// the options give. Input that is not an edXML envelope is ErrNotEdXML; input that is not
// well-formed, or exceeds a limit, a *SyntaxError.
func Read(r io.Reader, o ReadOptions) (*Envelope, error) {
	// a large buffer for attachment contents; a reader of the header only reads a few KB
	bufSize := 256 << 10
	if o.HeaderOnly {
		bufSize = 16 << 10
	}
	rd := &reader{o: o, lim: o.Limits.withDefaults(), src: bufio.NewReaderSize(r, bufSize),
		env: &Envelope{positions: map[string]Pos{}}, streamed: map[*node]*Attachment{}}
	utf16 := false
	if b, _ := rd.src.Peek(2); len(b) == 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		// UTF-16 with its byte order mark (XML 1.0 requires readers to take it): decoded to
		// UTF-8 as it is read
		utf16 = true
		rd.src = bufio.NewReaderSize(unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Reader(rd.src), bufSize)
		rd.quirk("utf-16", Pos{1, 1}, "", "the envelope is in UTF-16 (the SDK writes UTF-8)")
	}
	if err := rd.skipJunk(); err != nil {
		return nil, err
	}
	rd.c = &counter{br: rd.src, limit: rd.lim.HeaderBytes}
	rd.dec = xml.NewDecoder(rd.c)
	rd.dec.Strict = true // undefined entities are errors; none is ever fetched
	rd.dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		// the bytes are read as UTF-8 (or were decoded from UTF-16): a declaration naming an
		// ASCII-compatible encoding is taken, with a note; non-UTF-8 bytes then fail clearly
		switch l := strings.ToLower(strings.TrimSpace(label)); {
		case l == "utf-8":
		case strings.HasPrefix(l, "utf-16") || l == "utf16":
			if !utf16 {
				rd.quirk("encoding-label", Pos{1, 1}, "", fmt.Sprintf("the declaration says %s, the bytes are UTF-8 (read as UTF-8)", label))
			}
		case l == "utf8" || l == "us-ascii" || l == "ascii" || l == "iso-8859-1" || l == "latin1" || l == "windows-1252":
			rd.quirk("encoding-label", Pos{1, 1}, "", fmt.Sprintf("the declaration says %s (read as UTF-8)", label))
		default:
			return nil, fmt.Errorf("encoding %q is not supported: edXML is UTF-8", label)
		}
		return input, nil
	}
	root, err := rd.parse()
	if err != nil {
		return nil, err
	}
	rd.model(root)
	return rd.env, nil
}

// skipJunk passes bytes before the first '<' (some SDKs write a length there), up to 1 KiB.
func (rd *reader) skipJunk() error {
	bom := []byte("\xEF\xBB\xBF")
	if b, _ := rd.src.Peek(3); bytes.Equal(b, bom) {
		rd.src.Discard(3)
	}
	for skipped := 0; ; skipped++ {
		b, err := rd.src.ReadByte()
		if err != nil {
			if skipped == 0 {
				return fmt.Errorf("%w: the input is empty", ErrNotEdXML)
			}
			return fmt.Errorf("%w: no XML found", ErrNotEdXML)
		}
		if b == '<' {
			rd.src.UnreadByte()
			if skipped > 0 {
				rd.quirk("junk-before-xml", Pos{1, 1}, "", fmt.Sprintf("%d bytes before the XML declaration were skipped", skipped))
			}
			return nil
		}
		if skipped >= 1024 {
			return fmt.Errorf("%w: no XML in the first KiB", ErrNotEdXML)
		}
	}
}

func firstWord(b []byte) string {
	f := bytes.Fields(b)
	if len(f) == 0 {
		return ""
	}
	return string(f[0][:min(len(f[0]), 20)])
}

func (rd *reader) quirk(rule string, p Pos, path, msg string) {
	rd.env.Quirks = append(rd.env.Quirks, Finding{Severity: Warning, Rule: rule, Pos: p, Path: path, Message: msg})
}

func (rd *reader) pos() Pos {
	l, c := rd.dec.InputPos()
	return Pos{Line: l + rd.lines, Col: c}
}

func (rd *reader) syntax(p Pos, err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errHeaderLimit):
		return &SyntaxError{p, fmt.Sprintf("the envelope's header and metadata exceed %d bytes", rd.lim.HeaderBytes)}
	case errors.As(err, &se) && se.Msg == "unexpected EOF":
		return &SyntaxError{Pos{se.Line + rd.lines, p.Col}, "the envelope ends early (truncated)"}
	case errors.As(err, &se):
		return &SyntaxError{Pos{se.Line + rd.lines, p.Col}, strings.TrimPrefix(se.Msg, "XML syntax error: ")}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &SyntaxError{p, "the envelope ends early (truncated)"}
	}
	return &SyntaxError{p, err.Error()}
}

// parse reads the document's elements, streaming attachment contents, and returns the root.
func (rd *reader) parse() (*node, error) {
	var stack []*node
	var root *node
	attachments := 0
	textOutside := false
	for {
		p := rd.pos()
		tok, err := rd.dec.Token()
		if err == io.EOF && root != nil && len(stack) == 0 {
			return root, nil
		}
		if err != nil {
			if root == nil && !errors.Is(err, errHeaderLimit) {
				return nil, fmt.Errorf("%w: %v", ErrNotEdXML, rd.syntax(p, err))
			}
			return nil, rd.syntax(p, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, &SyntaxError{p, "a second root element"}
			}
			rd.elements++
			if rd.elements > rd.lim.Elements {
				return nil, &SyntaxError{p, fmt.Sprintf("more than %d elements", rd.lim.Elements)}
			}
			if len(stack) >= rd.lim.Depth {
				return nil, &SyntaxError{p, fmt.Sprintf("elements nested deeper than %d", rd.lim.Depth)}
			}
			n := &node{name: t.Name, pos: p}
			if root == nil {
				if t.Name.Space != Namespace || t.Name.Local != "edXML" {
					return nil, fmt.Errorf("%w: the root element is {%s}%s, want {%s}edXML", ErrNotEdXML, t.Name.Space, t.Name.Local, Namespace)
				}
				root, n.path = n, "edXML"
			} else {
				parent := stack[len(stack)-1]
				if parent.seen == nil {
					parent.seen = map[string]int{}
				}
				same := parent.seen[t.Name.Local]
				parent.seen[t.Name.Local]++
				n.path = parent.path + "/" + t.Name.Local
				if same > 0 {
					n.path += fmt.Sprintf("[%d]", same+1)
				}
				parent.kids = append(parent.kids, n)
			}
			rd.env.positions[n.path] = p
			stack = append(stack, n)
			if len(stack) == 4 && t.Name.Local == "ContentTransferEncoded" && stack[2].name.Local == "Attachment" &&
				stack[1].name.Local == "AttachmentEncoded" && stack[1].ours() && stack[2].ours() && n.ours() {
				if attachments >= rd.lim.Attachments {
					return nil, &SyntaxError{p, fmt.Sprintf("more than %d attachments", rd.lim.Attachments)}
				}
				if err := rd.content(attachments, stack[len(stack)-2], n); err != nil {
					return nil, err
				}
				attachments++
			}
		case xml.EndElement:
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n.text, n.buf = string(n.buf), nil
			if rd.o.HeaderOnly && n.name.Local == "MessageHeader" {
				return root, nil
			}
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				if len(n.kids) == 0 || len(bytes.TrimSpace(t)) > 0 {
					n.buf = append(n.buf, t...)
				}
			} else if len(bytes.TrimSpace(t)) > 0 && !textOutside {
				textOutside = true
				rd.quirk("text-outside-root", p, "", "text outside the edXML element (ignored)")
			}
		case xml.Directive:
			// DOCTYPE, ELEMENT, ENTITY, ATTLIST…: DTD declarations, in whatever case
			return nil, &SyntaxError{p, fmt.Sprintf("a DTD declaration (<!%s…>) is not allowed in an envelope", firstWord(t))}
		}
	}
}

// content streams an attachment's Base64 content, from the byte after its start tag to the
// '<' of its end tag, decoded to the writer the options give, while hashing it.
func (rd *reader) content(index int, attNode, n *node) error {
	if _, twice := rd.streamed[attNode]; twice {
		return &SyntaxError{rd.pos(), "an Attachment with two ContentTransferEncoded elements"}
	}
	if rd.c.n != rd.dec.InputOffset() { // the decoder must not have read ahead of the tag
		return &SyntaxError{rd.pos(), "internal error: the XML decoder read past a start tag"}
	}
	a := &Attachment{attached: index + 1}
	fillAttachment(a, attNode) // what came before the content

	var w io.Writer
	if rd.o.Attachment != nil {
		var err error
		if w, err = rd.o.Attachment(index, a); err != nil {
			return err
		}
	}
	if rd.c.last == [2]byte{'/', '>'} { // <ContentTransferEncoded/>: empty, nothing to stream
		a.SHA256 = hex.EncodeToString(sha256.New().Sum(nil))
		rd.streamed[attNode] = a
		return nil
	}
	start := rd.pos()
	// The decoder has consumed exactly the start tag: what follows is read here, directly.
	d := base64Stream{w: w, limit: rd.lim.AttachmentBytes, a: a}
	if !rd.o.NoHash {
		d.h = sha256.New()
	}
	for {
		chunk, err := rd.src.ReadSlice('<')
		end := err == nil
		if end {
			chunk = chunk[:len(chunk)-1]
		}
		if derr := d.write(chunk); derr != nil {
			return &SyntaxError{start, fmt.Sprintf("attachment %d: %v", index+1, derr)}
		}
		if end {
			rd.src.UnreadByte()
			done, err := rd.markup(&d)
			if err != nil {
				return &SyntaxError{start, fmt.Sprintf("attachment %d: %v", index+1, err)}
			}
			if done {
				break
			}
			continue
		}
		if err != bufio.ErrBufferFull {
			return rd.syntax(start, io.ErrUnexpectedEOF)
		}
	}
	if err := d.close(); err != nil {
		return &SyntaxError{start, fmt.Sprintf("attachment %d: %v", index+1, err)}
	}
	rd.lines += d.newlines
	if d.wrapped {
		rd.quirk("base64-wrapped", start, n.path, "the Base64 content is broken into lines (the SDK writes one line)")
	}
	if d.h != nil {
		a.SHA256 = hex.EncodeToString(d.h.Sum(nil))
	}
	rd.streamed[attNode] = a // its other elements are read into it once they are all known
	return nil
}

// markup handles what starts with '<' inside an attachment's content: its end tag ends it
// (done, left for the decoder); a comment or processing instruction is passed over; a CDATA
// section's text is content like any other; an element is an error.
func (rd *reader) markup(d *base64Stream) (done bool, err error) {
	head, _ := rd.src.Peek(9)
	// skipTo passes the text up to term (fed to the content when feed), term included; a
	// term cut by the buffer's end is found by carrying the last bytes over
	skipTo := func(term string, feed bool) error {
		var carry []byte
		for {
			chunk, err := rd.src.ReadSlice(term[len(term)-1])
			text := append(carry, chunk...)
			found := err == nil && bytes.HasSuffix(text, []byte(term))
			keep := 0
			switch {
			case found:
				text = text[:len(text)-len(term)]
			case err == bufio.ErrBufferFull || err == nil:
				keep = min(len(term)-1, len(text)) // may begin the terminator
			default:
				return errors.New("the envelope ends inside its content (truncated)")
			}
			body := text[:len(text)-keep]
			carry = append([]byte(nil), text[len(text)-keep:]...)
			if feed {
				if werr := d.write(body); werr != nil {
					return werr
				}
			} else {
				rd.lines += bytes.Count(body, []byte("\n"))
			}
			if found {
				return nil
			}
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte("</")):
		return true, nil
	case bytes.HasPrefix(head, []byte("<!--")):
		rd.src.Discard(4)
		return false, skipTo("-->", false)
	case bytes.HasPrefix(head, []byte("<?")):
		rd.src.Discard(2)
		return false, skipTo("?>", false)
	case bytes.HasPrefix(head, []byte("<![CDATA[")):
		rd.src.Discard(9)
		return false, skipTo("]]>", true)
	}
	return false, errors.New("an element inside ContentTransferEncoded, where only Base64 text belongs")
}

// base64Stream decodes Base64 text given in pieces, skipping line breaks (and their character
// references, as .NET writes them), and counts, hashes and forwards the bytes.
type base64Stream struct {
	w     io.Writer
	h     hash.Hash
	a     *Attachment
	limit int64
	// carry is raw text not yet scanned (an entity reference cut by the chunk's end); pending
	// is significant characters not yet decoded (fewer than a quantum).
	carry, pending []byte
	buf, out       []byte
	newlines       int
	wrapped        bool
	done           bool // padding seen: nothing may follow
}

func (d *base64Stream) write(chunk []byte) error {
	if len(d.carry) == 0 && cleanBase64(chunk) {
		return d.decode(chunk)
	}
	in := chunk
	if len(d.carry) > 0 {
		in = append(d.carry, chunk...)
		d.carry = nil
	}
	d.buf = d.buf[:0]
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch c {
		case '\n':
			d.newlines++
			d.wrapped = true
			continue
		case '\r', ' ', '\t':
			d.wrapped = true
			continue
		case '&':
			// &#13; &#10; &#xD; &#xA; — possibly cut by the chunk's end
			j := bytes.IndexByte(in[i:], ';')
			if j < 0 {
				if len(in)-i > 8 {
					return errors.New("an entity reference in the Base64 content")
				}
				d.carry = append([]byte(nil), in[i:]...) // completed by the next chunk
				i = len(in)
				continue
			}
			switch string(in[i : i+j+1]) {
			case "&#13;", "&#10;", "&#xD;", "&#xA;", "&#xd;", "&#xa;":
				d.wrapped = true
				i += j
				continue
			}
			return fmt.Errorf("an entity reference %q in the Base64 content", in[i:i+j+1])
		}
		d.buf = append(d.buf, c)
	}
	return d.decode(d.buf)
}

// cleanBase64 reports whether b has no byte the fast path must not meet.
func cleanBase64(b []byte) bool {
	return bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 && bytes.IndexByte(b, ' ') < 0 &&
		bytes.IndexByte(b, '\t') < 0 && bytes.IndexByte(b, '&') < 0
}

// decode decodes the whole quantums of pending+b and keeps the rest pending.
func (d *base64Stream) decode(b []byte) error {
	if len(d.pending) > 0 {
		k := min(4-len(d.pending), len(b))
		d.pending = append(d.pending, b[:k]...)
		b = b[k:]
		if len(d.pending) < 4 {
			return nil
		}
		err := d.decodeQuads(d.pending)
		d.pending = d.pending[:0]
		if err != nil {
			return err
		}
	}
	n := len(b) - len(b)%4
	for n > 0 {
		k := min(n, 1<<20)
		if err := d.decodeQuads(b[:k]); err != nil {
			return err
		}
		b, n = b[k:], n-k
	}
	d.pending = append(d.pending, b...)
	return nil
}

func (d *base64Stream) decodeQuads(q []byte) error {
	if len(q) == 0 {
		return nil
	}
	if d.done {
		return errors.New("Base64 content continues after its padding")
	}
	if cap(d.out) < len(q)/4*3+3 {
		d.out = make([]byte, len(q)/4*3+3)
	}
	n, err := asmbase64.StdEncoding.Decode(d.out[:cap(d.out)], q)
	if err != nil {
		// the SIMD decoder counts an error's offset from where its own part stopped: the
		// standard one names it (and has the last word)
		n, err = base64.StdEncoding.Decode(d.out[:cap(d.out)], q)
	}
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return fmt.Errorf("invalid Base64 at byte %d of the content", d.a.Size/3*4+int64(ce))
		}
		return err
	}
	if q[len(q)-1] == '=' {
		d.done = true
	}
	if d.a.Size < 512 {
		d.a.sniff = append(d.a.sniff, d.out[:min(n, 512-int(d.a.Size))]...)
	}
	d.a.Size += int64(n)
	if d.a.Size > d.limit {
		return fmt.Errorf("larger than %d bytes", d.limit)
	}
	if d.h != nil {
		d.h.Write(d.out[:n])
	}
	if d.w != nil {
		if _, err := d.w.Write(d.out[:n]); err != nil {
			return err
		}
	}
	return nil
}

func (d *base64Stream) close() error {
	if len(d.carry) > 0 {
		return errors.New("an unfinished entity reference in the Base64 content")
	}
	if len(d.pending)%4 != 0 {
		return errors.New("the Base64 content is cut short (its length is not a multiple of 4)")
	}
	q := d.pending
	d.pending = nil
	return d.decodeQuads(q)
}

// ours reports whether an element is edXML's: in its namespace, or in none (some producers
// forget it; the reader says so). Elements of other namespaces are not read as edXML's.
func (n *node) ours() bool { return n.name.Space == Namespace || n.name.Space == "" }

func (n *node) child(local string) *node {
	if n == nil {
		return nil
	}
	for _, k := range n.kids {
		if k.name.Local == local && k.ours() {
			return k
		}
	}
	return nil
}

func (n *node) all(local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name.Local == local && k.ours() {
			out = append(out, k)
		}
	}
	return out
}

// str is the trimmed text of n's first child named local.
func (n *node) str(local string) string {
	if k := n.child(local); k != nil {
		return strings.TrimSpace(k.text)
	}
	return ""
}

// known lists the children each element may have; others are reported (and kept where the
// model has room for them).
var known = map[string][]string{
	"edXML":             {"edXMLEnvelope", "AttachmentEncoded"},
	"edXMLEnvelope":     {"edXMLHeader", "edXMLBody"},
	"edXMLHeader":       {"MessageHeader", "TraceHeaderList", "Signature"},
	"edXMLBody":         {"edXMLManifest"},
	"edXMLManifest":     {"Reference"},
	"Reference":         {"ContentId", "ContentType", "Description", "AttachmentName"},
	"AttachmentEncoded": {"Attachment"},
	"Attachment":        {"ContentId", "AttachmentName", "Description", "ContentType", "ContentTransferEncoded"},
	"MessageHeader": {"From", "To", "DocumentId", "Code", "PromulgationInfo", "DocumentType", "Subject", "Content",
		"SignerInfo", "DueDate", "OtherInfo", "ResponseFor", "SteeringType", "ToPlaces", "StaffInfo", "StatusCode",
		"Description", "Timestamp"},
	"From":                  organFields,
	"To":                    organFields,
	"Code":                  {"CodeNumber", "CodeNotation"},
	"PromulgationInfo":      {"Place", "PromulgationDate"},
	"DocumentType":          {"Type", "TypeDetail", "TypeName"},
	"SignerInfo":            {"Competence", "Position", "FullName"},
	"Appendixes":            {"Appendix"},
	"ResponseFor":           {"OrganId", "Code", "PromulgationDate", "DocumentId"},
	"ToPlaces":              {"Place"},
	"StaffInfo":             {"Department", "Staff", "Email", "Mobile"},
	"TraceHeaderList":       {"TraceHeader", "Bussiness"},
	"TraceHeader":           {"OrganId", "Timestamp"},
	"BussinessDocumentInfo": {"DocumentInfo", "DocumentReceiver", "ReceiverList"},
	"ReceiverList":          {"Receiver"},
	"Receiver":              {"OrganId", "ReceiverType"},
	"ReplacementInfoList":   {"ReplacementInfo"},
	"ReplacementInfo":       {"DocumentId", "OrganIdList"},
	"OrganIdList":           {"OrganId"},
	"OtherInfo":             otherInfoFields,
	"Bussiness":             businessFields,
}

var organFields = []string{"OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax", "Website"}

// otherInfoFields and businessFields are those the model names; other simple children are kept
// as Extra.
var (
	otherInfoFields = []string{"Priority", "SphereOfPromulgation", "TyperNotation", "PromulgationAmount", "PageAmount", "Appendixes"}
	businessFields  = []string{"DocumentId", "BussinessDocType", "BussinessDocReason", "Paper", "BussinessDocumentInfo", "ReplacementInfoList", "StaffInfo"}
)

// check reports the children of n that its kind does not have, and elements outside the edXML
// namespace; it walks the whole tree but a Signature's.
func (rd *reader) check(n *node, allowed []string) {
	if n.name.Space == "" {
		if !rd.noNamespace {
			rd.quirk("no-namespace", n.pos, n.path, fmt.Sprintf("%s and elements after it are in no namespace, not edXML's", n.name.Local))
		}
		rd.noNamespace = true
	}
	for _, k := range n.kids {
		if k.name.Local == "Signature" && n.name.Local == "edXMLHeader" {
			continue
		}
		if !k.ours() {
			rd.quirk("foreign-element", k.pos, k.path, fmt.Sprintf("%s has an element {%s}%s of another namespace: ignored", n.name.Local, k.name.Space, k.name.Local))
			continue
		}
		kids, isKnown := known[k.name.Local]
		switch {
		case allowed != nil && !containsName(allowed, k.name.Local):
			rd.quirk("unknown-element", k.pos, k.path, fmt.Sprintf("%s has an element %s that edXML does not define", n.name.Local, k.name.Local))
		case !isKnown && len(k.kids) > 0 && allowed != nil:
			rd.quirk("unknown-element", k.pos, k.path, fmt.Sprintf("%s has an element %s that edXML does not define", n.name.Local, k.name.Local))
		}
		switch k.name.Local {
		case "OtherInfo", "Bussiness":
			rd.check(k, nil) // their other simple elements are kept as extras
		default:
			rd.check(k, kids)
		}
	}
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// signature is the header's Signature, in XML-DSig's namespace or, as older producers write
// it, in edXML's.
func signature(header *node) *node {
	if header == nil {
		return nil
	}
	for _, k := range header.kids {
		if k.name.Local == "Signature" && (k.name.Space == DSigNamespace || k.ours()) {
			return k
		}
	}
	return nil
}

func organization(n *node) Organization {
	return Organization{OrganID: n.str("OrganId"), OrganizationInCharge: n.str("OrganizationInCharge"), OrganName: n.str("OrganName"),
		OrganAdd: n.str("OrganAdd"), Email: n.str("Email"), Telephone: n.str("Telephone"), Fax: n.str("Fax"), Website: n.str("Website")}
}

func staffInfo(n *node) *StaffInfo {
	if n == nil {
		return nil
	}
	return &StaffInfo{Department: n.str("Department"), Staff: n.str("Staff"), Email: n.str("Email"), Mobile: n.str("Mobile")}
}

func extras(n *node, named []string) []Field {
	var out []Field
	for _, k := range n.kids {
		if !containsName(named, k.name.Local) && len(k.kids) == 0 {
			out = append(out, Field{Name: k.name.Local, Value: strings.TrimSpace(k.text)})
		}
	}
	return out
}

func fillAttachment(a *Attachment, n *node) {
	a.ContentID, a.Name, a.Description, a.ContentType = n.str("ContentId"), n.str("AttachmentName"), n.str("Description"), n.str("ContentType")
}

// model fills the envelope from the elements read.
func (rd *reader) model(root *node) {
	env := rd.env
	envelope := root.child("edXMLEnvelope")
	header := envelope.child("edXMLHeader")
	mh := header.child("MessageHeader")
	rd.check(root, known["edXML"])
	h := &env.Header
	env.hasHeader = mh != nil
	env.status = mh.child("StatusCode") != nil
	if mh != nil {
		if f := mh.child("From"); f != nil {
			h.From = organization(f)
		}
		for _, t := range mh.all("To") {
			h.To = append(h.To, organization(t))
		}
		h.DocumentID = mh.str("DocumentId")
		if c := mh.child("Code"); c != nil {
			h.Code = Code{Number: c.str("CodeNumber"), Notation: c.str("CodeNotation")}
		}
		if p := mh.child("PromulgationInfo"); p != nil {
			h.Promulgation = Promulgation{Place: p.str("Place"), Date: p.str("PromulgationDate")}
		}
		if t := mh.child("DocumentType"); t != nil {
			h.DocumentType = DocumentType{Type: t.str("Type"), TypeDetail: t.str("TypeDetail"), TypeName: t.str("TypeName")}
		}
		h.Subject, h.Content, h.DueDate = mh.str("Subject"), mh.str("Content"), mh.str("DueDate")
		if s := mh.child("SignerInfo"); s != nil {
			h.Signer = Signer{Competence: s.str("Competence"), Position: s.str("Position"), FullName: s.str("FullName")}
		}
		if o := mh.child("OtherInfo"); o != nil {
			h.OtherInfo = OtherInfo{Priority: o.str("Priority"), SphereOfPromulgation: o.str("SphereOfPromulgation"),
				TyperNotation: o.str("TyperNotation"), PromulgationAmount: o.str("PromulgationAmount"), PageAmount: o.str("PageAmount"),
				Extra: extras(o, otherInfoFields)}
			for _, a := range o.child("Appendixes").all("Appendix") {
				h.OtherInfo.Appendixes = append(h.OtherInfo.Appendixes, strings.TrimSpace(a.text))
			}
		}
		for _, r := range mh.all("ResponseFor") {
			h.ResponseFor = append(h.ResponseFor, ResponseFor{OrganID: r.str("OrganId"), Code: r.str("Code"),
				PromulgationDate: r.str("PromulgationDate"), DocumentID: r.str("DocumentId")})
		}
		h.SteeringType = mh.str("SteeringType")
		for _, p := range mh.child("ToPlaces").all("Place") {
			h.ToPlaces = append(h.ToPlaces, strings.TrimSpace(p.text))
		}
		h.StaffInfo = staffInfo(mh.child("StaffInfo"))
		h.StatusCode, h.Description, h.Timestamp = mh.str("StatusCode"), mh.str("Description"), mh.str("Timestamp")
	}
	if tl := header.child("TraceHeaderList"); tl != nil {
		env.Trace = &TraceHeaderList{}
		for _, t := range tl.all("TraceHeader") {
			env.Trace.Hops = append(env.Trace.Hops, TraceHeader{OrganID: t.str("OrganId"), Timestamp: t.str("Timestamp")})
		}
		if b := tl.child("Bussiness"); b != nil {
			bz := &Business{DocumentID: b.str("DocumentId"), DocType: b.str("BussinessDocType"), Reason: b.str("BussinessDocReason"),
				Paper: b.str("Paper"), StaffInfo: staffInfo(b.child("StaffInfo")), Extra: extras(b, businessFields)}
			if di := b.child("BussinessDocumentInfo"); di != nil {
				bz.DocumentInfo = &BusinessDocument{DocumentInfo: di.str("DocumentInfo"), DocumentReceiver: di.str("DocumentReceiver")}
				for _, r := range di.child("ReceiverList").all("Receiver") {
					bz.DocumentInfo.Receivers = append(bz.DocumentInfo.Receivers, Receiver{OrganID: r.str("OrganId"), ReceiverType: r.str("ReceiverType")})
				}
			}
			for _, ri := range b.child("ReplacementInfoList").all("ReplacementInfo") {
				r := ReplacementInfo{DocumentID: ri.str("DocumentId")}
				for _, o := range ri.child("OrganIdList").all("OrganId") {
					r.OrganIDs = append(r.OrganIDs, strings.TrimSpace(o.text))
				}
				bz.Replacements = append(bz.Replacements, r)
			}
			env.Trace.Business = bz
		}
	}
	if sig := signature(header); sig != nil {
		env.Signed = true
		if sig.name.Space != DSigNamespace {
			rd.quirk("signature-namespace", sig.pos, sig.path, "the Signature is not in the XML-DSig namespace (as older producers write it)")
		}
	}
	for _, r := range envelope.child("edXMLBody").child("edXMLManifest").all("Reference") {
		a := Attachment{ContentID: r.str("ContentId"), Name: r.str("AttachmentName"), Description: r.str("Description"), ContentType: r.str("ContentType")}
		env.manifest = append(env.manifest, a)
	}
	wrappers := root.all("AttachmentEncoded")
	if len(wrappers) > 1 {
		rd.quirk("attachments-split", wrappers[1].pos, wrappers[1].path, fmt.Sprintf("the attachments are in %d AttachmentEncoded elements, not one", len(wrappers)))
	}
	var attachments []*node
	for _, w := range wrappers {
		attachments = append(attachments, w.all("Attachment")...)
	}
	for _, an := range attachments {
		a := rd.streamed[an]
		if a == nil { // no content element
			a = &Attachment{}
		}
		fillAttachment(a, an)
		env.attached = append(env.attached, *a)
	}
	env.Attachments = joinAttachments(env.manifest, env.attached)
}

// joinAttachments lists the manifest's references, each with its attached file's size and hash,
// then the attached files the manifest does not name.
func joinAttachments(manifest, attached []Attachment) []Attachment {
	var out []Attachment
	used := make([]bool, len(attached))
	for _, m := range manifest {
		for i, a := range attached {
			if !used[i] && a.ContentID == m.ContentID {
				used[i] = true
				m.Size, m.SHA256, m.sniff, m.attached = a.Size, a.SHA256, a.sniff, a.attached
				if m.Name == "" {
					m.Name = a.Name
				}
				break
			}
		}
		out = append(out, m)
	}
	for i, a := range attached {
		if !used[i] {
			out = append(out, a)
		}
	}
	return out
}
