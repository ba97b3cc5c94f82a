// Package pdf is vbdt's only door to PDF internals (pdfcpu never leaks out of it): it opens a
// document, answers what signing, stamping, verifying and converting need to know, and writes
// changes as incremental updates appended after the original bytes — never touching one of
// them — in the original cross-reference flavour (table or stream).
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// ErrNotPDF, ErrEncrypted and ErrDamaged classify documents vbdt cannot work on.
var (
	ErrNotPDF    = errors.New("not a PDF")
	ErrEncrypted = errors.New("the PDF is encrypted")
	ErrDamaged   = errors.New("the PDF is damaged")
)

// damagedError is ErrDamaged with what is wrong, said in PDF terms.
type damagedError struct{ why error }

func (e *damagedError) Error() string   { return ErrDamaged.Error() + ": " + e.why.Error() }
func (e *damagedError) Unwrap() []error { return []error{ErrDamaged, e.why} }

// damaged reports damage: "the PDF is damaged: " and the formatted reason. A damaged error
// among the arguments contributes only its reason, so the prefix is never said twice.
func damaged(format string, a ...any) error {
	for i, x := range a {
		if de, ok := x.(*damagedError); ok {
			a[i] = de.why
		}
	}
	return &damagedError{why: fmt.Errorf(format, a...)}
}

// MaxSize bounds the documents vbdt opens.
const MaxSize = 8 << 30

var configOnce sync.Once

// config returns pdfcpu's configuration without its config folder (pdfcpu would otherwise
// create one in the user's home on first use) and without validation we do not need.
func config() *model.Configuration {
	configOnce.Do(api.DisableConfigDir)
	c := model.NewDefaultConfiguration()
	c.ValidationMode = model.ValidationRelaxed
	c.Limits.MaxStreamBytes = maxStreamBytes
	c.Limits.MaxDecodeBytes = maxDecoded
	return c
}

// fallbackDecoded bounds the object and cross-reference streams pdfcpu's repairing reader
// decodes: it buffers each whole before checking its size, so the bound is its memory.
const fallbackDecoded = 64 << 20

// fallbackConfig is config for pdfcpu's repairing reader.
func fallbackConfig() *model.Configuration {
	c := config()
	c.Limits.MaxDecodeBytes = fallbackDecoded
	return c
}

// Doc is an open PDF.
type Doc struct {
	lr         *lazyReader // the document's objects: parsed on first use; reads stream data
	src        Source      // what the document was parsed from
	mem        []byte      // the original bytes, when OpenFile read the whole file
	closer     io.Closer   // the file OpenFile opened
	size       int64       // bytes of the original
	startxref  int64       // offset of the last cross-reference section
	xrefStream bool
	header     string // the version in the file's header: "1.4"
	nextObj    int
	pages      int
	text       map[int][]TextRun // extracted page text, by page number
	form       *formCache        // the field tree and fields, read once
}

// Open parses a PDF of size bytes from r, which must stay readable while the document is in
// use. A hostile or damaged file gives an error, never a crash: a panic inside the parser is
// turned into ErrDamaged.
func Open(r Source, size int64) (d *Doc, err error) {
	defer func() {
		if p := recover(); p != nil {
			d, err = nil, damaged("its syntax is broken beyond what vbdt can read")
		}
	}()
	if size > MaxSize {
		return nil, damaged("%d bytes is more than vbdt opens (%d)", size, int64(MaxSize))
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.HasPrefix(head, []byte("%PDF-")) {
		return nil, ErrNotPDF
	}
	sx, err := lastStartxref(r, size)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	start := time.Now()
	// A deadline bounds the parse of a hostile file: 10 s, plus 1 s for every 20 MB.
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second+time.Duration(size/(20<<20))*time.Second)
	defer cancel()
	lr, xrefStream, err := readLazy(c, r, size, sx)
	if errors.Is(err, ErrEncrypted) {
		return nil, err
	}
	if err == nil {
		d = &Doc{lr: lr, src: r, size: size, startxref: sx, xrefStream: xrefStream, header: string(head[5:])}
		d.pages, err = d.countPages()
	}
	if err != nil && c.Err() == nil && !errors.Is(err, errTooLarge) {
		// pdfcpu's reader repairs some damage the lazy reader refuses, at the cost of parsing
		// every object and holding every stream in memory. When it cannot either, the lazy
		// reader's error says what is wrong; pdfcpu's would speak of its parser's internals.
		// A stream too large to decode is no damage pdfcpu could repair.
		lazyErr := err
		ctx, ferr := pdfcpu.ReadWithContext(c, io.NewSectionReader(r, 0, size), fallbackConfig())
		if ferr == nil {
			lr = &lazyReader{c: c, ctx: ctx, src: r, size: size, stms: map[int]*objStm{}}
			d = &Doc{lr: lr, src: r, size: size, startxref: sx, xrefStream: ctx.Read.UsingXRefStreams, header: string(head[5:])}
			if ctx.Encrypt != nil || ctx.XRefTable.Encrypt != nil {
				return nil, ErrEncrypted
			}
			if d.pages, err = d.countPages(); err != nil {
				err = lazyErr
			}
		} else {
			err = lazyErr
		}
	}
	if err != nil && c.Err() != nil {
		err = damaged("reading its objects took longer than %v", time.Since(start).Round(time.Second))
	}
	if err != nil && !errors.Is(err, ErrDamaged) {
		err = damaged("%v", err)
	}
	if err != nil {
		return nil, err
	}
	// objects parsed after Open are bounded by size, not by time
	lr.c = context.Background()
	// New objects are numbered after the largest object number the cross-reference defines,
	// never after the trailer's /Size: a hostile /Size of 2147483647 would number them past
	// what PDF readers accept.
	for nr := range d.xref().Table {
		if nr <= maxObjectNum {
			d.nextObj = max(d.nextObj, nr+1)
		}
	}
	return d, nil
}

// wholeFile is the size up to which OpenFile reads a document into memory at once: one read,
// instead of one per object parsed.
const wholeFile = 4 << 20

// OpenFile opens the PDF at path. Close it when done.
func OpenFile(path string) (*Doc, error) {
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	if size <= wholeFile {
		data := make([]byte, size)
		_, err := io.ReadFull(f, data)
		f.Close()
		if err != nil {
			return nil, err
		}
		d, err := Open(bytes.NewReader(data), size)
		if err != nil {
			return nil, err
		}
		d.mem = data
		return d, nil
	}
	d, err := Open(f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	d.closer = f
	return d, nil
}

// Close closes the file OpenFile opened.
func (d *Doc) Close() error {
	if d.closer == nil {
		return nil
	}
	return d.closer.Close()
}

// Original returns a reader of the document's original bytes, from the very file it was
// parsed from (not a second open of its path, which could meet a different file). The parser
// reads through its own offset, so parsing more objects does not move this reader.
func (d *Doc) Original() (io.Reader, error) {
	if _, err := d.src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.LimitReader(d.src, d.size), nil
}

// ReaderAt reads the document's original bytes at any offset, from the file it was parsed
// from.
func (d *Doc) ReaderAt() io.ReaderAt { return d.src }

// Bytes returns the original bytes when the whole document is in memory (OpenFile reads files
// up to 4 MB at once), or nil: then Original streams them from the file. They must not be
// modified.
func (d *Doc) Bytes() []byte { return d.mem }

// streamData returns the decoded data of a stream object, read from the document.
func (d *Doc) streamData(o types.Object) ([]byte, error) {
	ref, isRef := o.(types.IndirectRef)
	o, err := d.deref(o)
	if err != nil {
		return nil, err
	}
	sd, ok := o.(types.StreamDict)
	if !ok {
		return nil, damaged("%s where a stream belongs", objectKind(o))
	}
	data, err := d.lr.streamData(&sd)
	if err != nil && isRef {
		return nil, damaged("object %d: %w", ref.ObjectNumber.Value(), err)
	}
	return data, err
}

func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

var startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)

func lastStartxref(r io.ReadSeeker, size int64) (int64, error) {
	n := min(size, 2048)
	buf := make([]byte, n)
	if _, err := r.Seek(size-n, io.SeekStart); err != nil {
		return 0, err
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, err
	}
	m := startxrefRE.FindSubmatch(buf)
	if m == nil {
		return 0, damaged("no startxref at the end of the file")
	}
	off, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil || off <= 0 || off >= size {
		return 0, damaged("startxref %s is outside the file", m[1])
	}
	return off, nil
}

// Version is the PDF version the document declares: the later of its header's and its
// catalog's /Version (PDF 32000-1 §7.5.2).
func (d *Doc) Version() string {
	v := d.header
	if cat, _, err := d.catalog(); err == nil {
		if cv, ok := cat["Version"].(types.Name); ok && versionLess(v, string(cv)) {
			v = string(cv)
		}
	}
	return v
}

// versionLess compares PDF versions of the form major.minor.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || am == bm && an < bn
}

// Size is the byte size of the original document.
func (d *Doc) Size() int64 { return d.size }

// XRefStream reports whether the document uses cross-reference streams.
func (d *Doc) XRefStream() bool { return d.xrefStream }

// PageCount is the number of pages.
func (d *Doc) PageCount() int { return d.pages }

// xref is the document's cross-reference table, holding the objects parsed so far.
func (d *Doc) xref() *model.XRefTable { return d.lr.ctx.XRefTable }

// deref resolves an indirect reference, parsing the object on first use.
func (d *Doc) deref(o types.Object) (types.Object, error) {
	if ir, ok := o.(types.IndirectRef); ok {
		if err := d.lr.load(ir.ObjectNumber.Value()); err != nil {
			return nil, err
		}
	}
	return d.xref().Dereference(o)
}

func (d *Doc) dict(o types.Object) (types.Dict, error) {
	o, err := d.deref(o)
	if err != nil {
		return nil, err
	}
	switch v := o.(type) {
	case types.Dict:
		return v, nil
	case nil:
		return nil, nil
	}
	return nil, damaged("%s where a dictionary belongs", objectKind(o))
}

// objectKind names the kind of a PDF object, for messages.
func objectKind(o types.Object) string {
	switch o.(type) {
	case types.Integer, types.Float:
		return "a number"
	case types.Boolean:
		return "a boolean"
	case types.Name:
		return "a name"
	case types.StringLiteral, types.HexLiteral:
		return "a string"
	case types.Array:
		return "an array"
	case types.StreamDict:
		return "a stream"
	case types.IndirectRef:
		return "a reference to a reference"
	}
	return "an object of another kind"
}

// catalog returns the catalog and its reference.
func (d *Doc) catalog() (types.Dict, types.IndirectRef, error) {
	root := d.xref().Root
	if root == nil {
		return nil, types.IndirectRef{}, damaged("no catalog")
	}
	c, err := d.dict(*root)
	if err == nil && c == nil {
		err = damaged("no catalog")
	}
	if err != nil {
		return nil, types.IndirectRef{}, err
	}
	return c, *root, nil
}

// Rect is a rectangle in PDF user space (points, origin bottom left).
type Rect struct{ X1, Y1, X2, Y2 float64 }

// Width and Height of the rectangle.
func (r Rect) Width() float64  { return r.X2 - r.X1 }
func (r Rect) Height() float64 { return r.Y2 - r.Y1 }

// page returns a page's dict, its reference and its crop box (or media box).
func (d *Doc) page(n int) (types.Dict, types.IndirectRef, Rect, error) {
	p, err := d.findPage(n)
	if err != nil {
		return nil, types.IndirectRef{}, Rect{}, err
	}
	return p.dict, p.ref, p.box, nil
}

// PageBox returns the size of page n.
func (d *Doc) PageBox(n int) (Rect, error) {
	_, _, r, err := d.page(n)
	return r, err
}
