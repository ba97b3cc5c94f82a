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

// MaxSize bounds the documents vbdt opens.
const MaxSize = 8 << 30

var configOnce sync.Once

// config returns pdfcpu's configuration without its config folder (pdfcpu would otherwise
// create one in the user's home on first use) and without validation we do not need.
func config() *model.Configuration {
	configOnce.Do(api.DisableConfigDir)
	c := model.NewDefaultConfiguration()
	c.ValidationMode = model.ValidationRelaxed
	return c
}

// Doc is an open PDF.
type Doc struct {
	ctx        *model.Context
	src        Source    // what the document was parsed from; stream data is read from it
	closer     io.Closer // the file OpenFile opened
	size       int64     // bytes of the original
	startxref  int64     // offset of the last cross-reference section
	xrefStream bool
	nextObj    int
	text       map[int][]TextRun // extracted page text, by page number
}

// Open parses a PDF of size bytes from r, which must stay readable while the document is in
// use. A hostile or damaged file gives an error, never a crash: a panic inside the parser is
// turned into ErrDamaged.
func Open(r Source, size int64) (d *Doc, err error) {
	defer func() {
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("%w: the parser failed: %v", ErrDamaged, p)
		}
	}()
	if size > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes is more than vbdt opens (%d)", ErrDamaged, size, int64(MaxSize))
	}
	head := make([]byte, 5)
	if _, err := r.Read(head); err != nil || !bytes.Equal(head, []byte("%PDF-")) {
		return nil, ErrNotPDF
	}
	sx, err := lastStartxref(r, size)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// A deadline bounds the parse of a hostile file: 10 s, plus 1 s for every 20 MB.
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second+time.Duration(size/(20<<20))*time.Second)
	defer cancel()
	ctx, xrefStream, err := readLazy(c, r, size, sx)
	if errors.Is(err, ErrEncrypted) {
		return nil, err
	}
	if err != nil && c.Err() == nil {
		// pdfcpu's reader repairs some damage the lazy reader refuses, at the cost of holding
		// every stream in memory.
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		ctx, err = pdfcpu.ReadWithContext(c, r, config())
		if ctx != nil {
			xrefStream = ctx.Read.UsingXRefStreams
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if ctx.Encrypt != nil || ctx.XRefTable.Encrypt != nil {
		return nil, ErrEncrypted
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	d = &Doc{ctx: ctx, src: r, size: size, startxref: sx, xrefStream: xrefStream}
	for nr := range ctx.XRefTable.Table {
		d.nextObj = max(d.nextObj, nr+1)
	}
	if s := ctx.XRefTable.Size; s != nil {
		d.nextObj = max(d.nextObj, *s)
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
		return Open(bytes.NewReader(data), size)
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
// parsed from (not a second open of its path, which could meet a different file).
func (d *Doc) Original() (io.Reader, error) {
	if _, err := d.src.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.LimitReader(d.src, d.size), nil
}

// streamData returns the decoded data of a stream object, read from the document.
func (d *Doc) streamData(o types.Object) ([]byte, error) {
	o, err := d.deref(o)
	if err != nil {
		return nil, err
	}
	sd, ok := o.(types.StreamDict)
	if !ok {
		return nil, fmt.Errorf("%w: not a stream", ErrDamaged)
	}
	return streamData(d.src, d.size, d.ctx.XRefTable, &sd)
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
		return 0, fmt.Errorf("%w: no startxref at the end of the file", ErrDamaged)
	}
	off, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil || off <= 0 || off >= size {
		return 0, fmt.Errorf("%w: startxref %s is outside the file", ErrDamaged, m[1])
	}
	return off, nil
}

// Size is the byte size of the original document.
func (d *Doc) Size() int64 { return d.size }

// XRefStream reports whether the document uses cross-reference streams.
func (d *Doc) XRefStream() bool { return d.xrefStream }

// PageCount is the number of pages.
func (d *Doc) PageCount() int { return d.ctx.PageCount }

func (d *Doc) deref(o types.Object) (types.Object, error) { return d.ctx.XRefTable.Dereference(o) }

func (d *Doc) dict(o types.Object) (types.Dict, error) { return d.ctx.XRefTable.DereferenceDict(o) }

// catalog returns the catalog and its reference.
func (d *Doc) catalog() (types.Dict, types.IndirectRef, error) {
	root := d.ctx.XRefTable.Root
	if root == nil {
		return nil, types.IndirectRef{}, fmt.Errorf("%w: no catalog", ErrDamaged)
	}
	c, err := d.ctx.XRefTable.Catalog()
	if err != nil {
		return nil, types.IndirectRef{}, fmt.Errorf("%w: %v", ErrDamaged, err)
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
	if n < 1 || n > d.ctx.PageCount {
		return nil, types.IndirectRef{}, Rect{}, fmt.Errorf("page %d does not exist (the document has %d)", n, d.ctx.PageCount)
	}
	pd, ref, inh, err := d.ctx.XRefTable.PageDict(n, false)
	if err != nil || ref == nil {
		return nil, types.IndirectRef{}, Rect{}, fmt.Errorf("%w: page %d: %v", ErrDamaged, n, err)
	}
	box := Rect{0, 0, 595.28, 841.89}
	if inh != nil && inh.MediaBox != nil {
		mb := inh.MediaBox
		box = Rect{mb.LL.X, mb.LL.Y, mb.UR.X, mb.UR.Y}
	}
	return pd, *ref, box, nil
}

// PageBox returns the size of page n.
func (d *Doc) PageBox(n int) (Rect, error) {
	_, _, r, err := d.page(n)
	return r, err
}
