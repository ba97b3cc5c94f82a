package pdf

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// The lazy reader builds pdfcpu's model of a document from its cross-reference sections and
// parses every object's dictionary, but leaves stream data in the file: memory follows the
// number of objects, not the size of the file (pdfcpu's own reader loads every stream). Stream
// data is read when something needs it (Doc.streamData), and decoded within bounds (decode.go).
// Cross-reference offsets a little off — a section or objects moved by a few bytes — are
// repaired here, from the "N G obj" headers nearest to where they point (checkOffsets). A
// document this reader still cannot follow is read by pdfcpu's reader, which repairs some
// other damage.

// Bounds of the lazy reader, against hostile files.
const (
	maxSections    = 4096      // cross-reference sections followed through /Prev
	maxObjectNum   = 8_388_607 // the largest object number PDF allows
	maxStreamBytes = 256 << 20 // encoded stream data read into memory at once
	maxDecoded     = 256 << 20 // decoded stream data, and a page's content streams together
	maxTrailer     = 64 << 10  // bytes of a trailer dictionary
)

// Source is what a document is read from: a file, a section of one, or bytes.
type Source interface {
	io.ReadSeeker
	io.ReaderAt
}

type lazyReader struct {
	c    context.Context
	ctx  *model.Context
	src  io.ReaderAt
	size int64
	stms map[int]*objStm // decoded object streams, by object number
}

// objStm is a decoded object stream: its data and where each object starts.
type objStm struct {
	data  []byte
	first int
	offs  []int // n+1 offsets relative to first; the last is the end of the data
}

// readLazy reads the cross-reference sections of the document whose last section starts at
// startxref; objects are parsed when first used (lazyReader.load). It reports whether the last
// section is a cross-reference stream.
func readLazy(c context.Context, src Source, size, startxref int64) (*lazyReader, bool, error) {
	// pdfcpu reads through its own offset (ReadAt), never moving src's: see Doc.Original
	ctx, err := model.NewContext(io.NewSectionReader(src, 0, size), config())
	if err != nil {
		return nil, false, err
	}
	lr := &lazyReader{c: c, ctx: ctx, src: src, size: size, stms: map[int]*objStm{}}
	x := ctx.XRefTable
	var trailer types.Dict
	xrefStream := false
	seen := map[int64]bool{}
	for off := startxref; off > 0; {
		if seen[off] || len(seen) >= maxSections {
			return nil, false, fmt.Errorf("cross-reference sections loop at offset %d", off)
		}
		seen[off] = true
		t, isStream, err := lr.section(off)
		if err != nil {
			return nil, false, err
		}
		if trailer == nil {
			trailer, xrefStream = t, isStream
		}
		off = 0
		if p, ok := t["Prev"].(types.Integer); ok {
			off = int64(p)
		}
	}
	if _, ok := trailer["Encrypt"]; ok {
		return nil, false, ErrEncrypted
	}
	root, ok := trailer["Root"].(types.IndirectRef)
	if !ok {
		return nil, false, fmt.Errorf("the trailer has no /Root")
	}
	x.Root = &root
	if info, ok := trailer["Info"].(types.IndirectRef); ok {
		x.Info = &info
	}
	if id, ok := trailer["ID"].(types.Array); ok {
		x.ID = id
	}
	if s, ok := trailer["Size"].(types.Integer); ok {
		n := int(s)
		x.Size = &n
	}
	if _, ok := x.Table[0]; !ok {
		gen := types.FreeHeadGeneration
		x.Table[0] = &model.XRefTableEntry{Free: true, Generation: &gen}
	}
	if err := lr.checkOffsets(); err != nil {
		return nil, false, err
	}
	return lr, xrefStream, nil
}

// checkOffsets makes sure that every object's offset points at its "N G obj" header, so that
// objects parsed later are the ones the cross-reference names (pdfcpu's parser would take
// whatever stands there). An offset a few bytes off — bytes added or lost before the object,
// a line end converted — is repaired by the header nearest to it.
func (lr *lazyReader) checkOffsets() error {
	for nr, e := range lr.ctx.XRefTable.Table {
		if e.Free || e.Compressed {
			continue
		}
		if *e.Offset <= 0 || *e.Offset >= lr.size {
			return fmt.Errorf("object %d: offset %d is outside the file", nr, *e.Offset)
		}
		if !lr.headerAt(*e.Offset, nr, *e.Generation) {
			off, ok := lr.nearbyHeader(*e.Offset, nr, *e.Generation)
			if !ok {
				return fmt.Errorf("object %d: offset %d does not point at it, and no \"%d %d obj\" stands within %d bytes of it", nr, *e.Offset, nr, *e.Generation, repairWindow)
			}
			e.Offset = &off
		}
		if err := lr.c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// repairWindow is how far from where the cross-reference points the lazy reader looks for an
// object or a cross-reference section that is not there.
const repairWindow = 1024

// headerAt reports whether object nr's "nr gen obj" header starts at off.
func (lr *lazyReader) headerAt(off int64, nr, gen int) bool {
	buf := make([]byte, 48)
	n, _ := lr.src.ReadAt(buf, off)
	f := bytes.Fields(buf[:n])
	return len(f) >= 3 && string(f[0]) == strconv.Itoa(nr) && string(f[1]) == strconv.Itoa(gen) && bytes.HasPrefix(f[2], []byte("obj"))
}

// window reads the bytes within repairWindow of off, and returns them with their offset.
func (lr *lazyReader) window(off int64) ([]byte, int64) {
	from := max(0, off-repairWindow)
	buf := make([]byte, min(lr.size, off+repairWindow+48)-from)
	n, _ := lr.src.ReadAt(buf, from)
	return buf[:n], from
}

var headerRE = regexp.MustCompile(`(\d+)[ \t\r\n\f\x00]+(\d+)[ \t\r\n\f\x00]+obj`)

// nearbyHeader finds the "nr gen obj" header nearest to off, at the start of a line or after
// a delimiter.
func (lr *lazyReader) nearbyHeader(off int64, nr, gen int) (int64, bool) {
	buf, from := lr.window(off)
	best, found := int64(0), false
	for _, m := range headerRE.FindAllSubmatchIndex(buf, -1) {
		if m[0] > 0 && !isSpaceOrDelim(buf[m[0]-1]) {
			continue
		}
		if string(buf[m[2]:m[3]]) != strconv.Itoa(nr) || string(buf[m[4]:m[5]]) != strconv.Itoa(gen) {
			continue
		}
		at := from + int64(m[0])
		if !found || abs64(at-off) < abs64(best-off) {
			best, found = at, true
		}
	}
	return best, found
}

// nearbySections lists where a cross-reference section might start near off, nearest first:
// lines starting with "xref", and object headers (a cross-reference stream).
func (lr *lazyReader) nearbySections(off int64) []int64 {
	buf, from := lr.window(off)
	var at []int64
	for i := 0; i < len(buf); i++ {
		if i > 0 && buf[i-1] != '\n' && buf[i-1] != '\r' {
			continue
		}
		line := buf[i:min(len(buf), i+32)]
		if m := headerRE.FindIndex(line); bytes.HasPrefix(line, []byte("xref")) || m != nil && m[0] == 0 {
			if a := from + int64(i); a != off {
				at = append(at, a)
			}
		}
	}
	sort.Slice(at, func(i, j int) bool { return abs64(at[i]-off) < abs64(at[j]-off) })
	return at[:min(len(at), 8)]
}

func isSpaceOrDelim(c byte) bool {
	return strings.IndexByte(" \t\r\n\f\x00()<>[]{}/%", c) >= 0
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// section reads the cross-reference section at off, adding the entries not defined by a newer
// section, and returns its trailer dictionary. When off does not point at a section, the one
// nearest to it is taken (its entries are then likely off too: checkOffsets repairs them).
func (lr *lazyReader) section(off int64) (types.Dict, bool, error) {
	t, isStream, err := lr.sectionAt(off)
	if err == nil || off <= 0 || off >= lr.size || lr.c.Err() != nil {
		return t, isStream, err
	}
	for _, near := range lr.nearbySections(off) {
		if t, isStream, err2 := lr.sectionAt(near); err2 == nil {
			return t, isStream, nil
		}
	}
	return nil, false, err
}

// sectionAt reads the cross-reference section at off.
func (lr *lazyReader) sectionAt(off int64) (types.Dict, bool, error) {
	if off <= 0 || off >= lr.size {
		return nil, false, fmt.Errorf("cross-reference offset %d is outside the file", off)
	}
	br := bufio.NewReader(io.NewSectionReader(lr.src, off, lr.size-off))
	tok, err := xrefToken(br)
	if err != nil {
		return nil, false, err
	}
	if tok != "xref" {
		entries, t, err := lr.xrefStream(off)
		if err != nil {
			return nil, false, err
		}
		lr.merge(entries)
		return t, true, nil
	}
	entries, t, err := lr.xrefTable(br)
	if err != nil {
		return nil, false, err
	}
	// A hybrid file's table leaves the compressed objects to the stream at /XRefStm.
	if xs, ok := t["XRefStm"].(types.Integer); ok {
		hidden, _, err := lr.xrefStream(int64(xs))
		if err != nil {
			return nil, false, err
		}
		for nr, e := range hidden {
			if old, ok := entries[nr]; !ok || old.Free {
				entries[nr] = e
			}
		}
	}
	lr.merge(entries)
	return t, false, nil
}

// merge adds the entries of an older section: a newer definition of an object wins.
func (lr *lazyReader) merge(entries map[int]*model.XRefTableEntry) {
	for nr, e := range entries {
		if _, ok := lr.ctx.XRefTable.Table[nr]; !ok {
			lr.ctx.XRefTable.Table[nr] = e
		}
	}
}

// xrefTable reads a classic cross-reference table after its "xref" keyword, and its trailer.
func (lr *lazyReader) xrefTable(br *bufio.Reader) (map[int]*model.XRefTableEntry, types.Dict, error) {
	entries := map[int]*model.XRefTableEntry{}
	for {
		tok, err := xrefToken(br)
		if err != nil {
			return nil, nil, err
		}
		if tok == "trailer" {
			break
		}
		start, err1 := strconv.Atoi(tok)
		ctok, err2 := xrefToken(br)
		count, err3 := strconv.Atoi(ctok)
		if err1 != nil || err2 != nil || err3 != nil || start < 0 || count < 0 || start+count > maxObjectNum+1 {
			return nil, nil, fmt.Errorf("bad cross-reference subsection %q %q", tok, ctok)
		}
		for i := 0; i < count; i++ {
			f1, _ := xrefToken(br)
			f2, _ := xrefToken(br)
			kind, err := xrefToken(br)
			off, err1 := strconv.ParseInt(f1, 10, 64)
			gen, err2 := strconv.Atoi(f2)
			if err != nil || err1 != nil || err2 != nil || (kind != "n" && kind != "f") {
				return nil, nil, fmt.Errorf("bad cross-reference entry for object %d", start+i)
			}
			if kind == "f" {
				entries[start+i] = &model.XRefTableEntry{Free: true, Generation: &gen}
			} else {
				entries[start+i] = &model.XRefTableEntry{Offset: &off, Generation: &gen}
			}
		}
		if err := lr.c.Err(); err != nil {
			return nil, nil, err
		}
	}
	rest, _ := io.ReadAll(io.LimitReader(br, maxTrailer))
	s := string(rest)
	o, err := model.ParseObjectContext(lr.c, &s, 0, 100)
	t, ok := o.(types.Dict)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("the trailer is not a dictionary")
	}
	return entries, t, nil
}

// xrefStream reads the cross-reference stream object at off.
func (lr *lazyReader) xrefStream(off int64) (map[int]*model.XRefTableEntry, types.Dict, error) {
	if off <= 0 || off >= lr.size {
		return nil, nil, fmt.Errorf("cross-reference stream offset %d is outside the file", off)
	}
	o, err := pdfcpu.ParseObjectWithContext(lr.c, lr.ctx, off, 0, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("cross-reference stream at offset %d: %s", off, parseFailure(err, "N 0 obj"))
	}
	sd, ok := o.(types.StreamDict)
	if !ok || sd.Type() == nil || *sd.Type() != "XRef" {
		return nil, nil, fmt.Errorf("no cross-reference at offset %d", off)
	}
	data, err := lr.streamData(&sd)
	if err != nil {
		return nil, nil, damaged("cross-reference stream at offset %d: %w", off, err)
	}
	xsd, err := model.ParseXRefStreamDictRelaxedWithLimits(&sd, lr.ctx.Configuration.Limits)
	if err != nil {
		return nil, nil, fmt.Errorf("cross-reference stream at offset %d: bad /Size, /Index or /W", off)
	}
	w := xsd.W
	width := w[0] + w[1] + w[2]
	if w[0] < 0 || w[1] < 0 || w[2] < 0 || w[1] > 8 || w[2] > 8 || w[0] > 8 || width == 0 || len(data) < width*len(xsd.Objects) {
		return nil, nil, fmt.Errorf("cross-reference stream at %d: bad /W or data", off)
	}
	field := func(b []byte, def int64) int64 {
		if len(b) == 0 {
			return def
		}
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	entries := make(map[int]*model.XRefTableEntry, len(xsd.Objects))
	for i, nr := range xsd.Objects {
		rec := data[i*width : (i+1)*width]
		kind := field(rec[:w[0]], 1)
		f2 := field(rec[w[0]:w[0]+w[1]], 0)
		f3 := int(field(rec[w[0]+w[1]:], 0))
		switch kind {
		case 0:
			entries[nr] = &model.XRefTableEntry{Free: true, Generation: &f3}
		case 1:
			gen := f3
			entries[nr] = &model.XRefTableEntry{Offset: &f2, Generation: &gen}
		case 2:
			stm, ind, gen := int(f2), f3, 0
			entries[nr] = &model.XRefTableEntry{Compressed: true, ObjectStream: &stm, ObjectStreamInd: &ind, Generation: &gen}
		}
	}
	return entries, sd.Dict, nil
}

// load parses object nr if it is in use and not parsed yet.
func (lr *lazyReader) load(nr int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damaged("object %d: its syntax is broken", nr)
		}
	}()
	e, ok := lr.ctx.XRefTable.Table[nr]
	if !ok || e.Free || e.Object != nil {
		return nil
	}
	if e.Compressed {
		o, err := lr.compressed(*e.ObjectStream, *e.ObjectStreamInd)
		if err != nil {
			return damaged("object %d in object stream %d: %w", nr, *e.ObjectStream, err)
		}
		e.Object = o
		return nil
	}
	if e.Offset == nil || *e.Offset <= 0 || *e.Offset >= lr.size {
		return damaged("object %d is outside the file", nr)
	}
	if o, ok := lr.parseHexHeavy(*e.Offset, nr, *e.Generation); ok {
		e.Object = o
		return nil
	}
	o, err := pdfcpu.ParseObjectWithContext(lr.c, lr.ctx, *e.Offset, nr, *e.Generation)
	if err != nil {
		return damaged("object %d at offset %d: %s", nr, *e.Offset, parseFailure(err, fmt.Sprintf("%d %d obj", nr, *e.Generation)))
	}
	e.Object = o
	return nil
}

// loadAll parses every object in use.
func (lr *lazyReader) loadAll() error {
	for nr := range lr.ctx.XRefTable.Table {
		if err := lr.load(nr); err != nil {
			return err
		}
	}
	return nil
}

// compressed parses the object at index i of object stream stm.
func (lr *lazyReader) compressed(stm, i int) (types.Object, error) {
	os, ok := lr.stms[stm]
	if !ok {
		var err error
		if os, err = lr.objectStream(stm); err != nil {
			return nil, err
		}
		lr.stms[stm] = os
	}
	if i < 0 || i >= len(os.offs)-1 {
		return nil, fmt.Errorf("index %d out of range", i)
	}
	s := string(os.data[os.first+os.offs[i] : os.first+os.offs[i+1]])
	o, err := model.ParseObjectContext(lr.c, &s, 0, 100)
	if err != nil {
		return nil, errors.New(parseFailure(err, ""))
	}
	return o, nil
}

// parseFailure says in PDF terms why pdfcpu's parser failed on an object: its own messages
// name its functions.
// header is the "N G obj" expected.
func parseFailure(err error, header string) string {
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return "reading it took too long"
	case strings.Contains(msg, "can't find \"obj\""), strings.Contains(msg, "object number"), strings.Contains(msg, "generation number"):
		return fmt.Sprintf("no %q header where the cross-reference points", header)
	case strings.Contains(msg, "endobj"):
		return `it does not end with "endobj"`
	case strings.Contains(msg, "stream"):
		return "its stream is malformed"
	}
	return "its syntax is broken"
}

// objectStream decodes object stream stm.
func (lr *lazyReader) objectStream(stm int) (*objStm, error) {
	e, ok := lr.ctx.XRefTable.Table[stm]
	if !ok || e.Compressed || e.Free {
		return nil, fmt.Errorf("missing")
	}
	if err := lr.load(stm); err != nil {
		return nil, err
	}
	sd, ok := e.Object.(types.StreamDict)
	if !ok || sd.First() == nil || sd.N() == nil {
		return nil, fmt.Errorf("not an object stream")
	}
	data, err := lr.streamData(&sd)
	if err != nil {
		return nil, err
	}
	first, n := *sd.First(), *sd.N()
	if first < 0 || first > len(data) || n < 0 || n > len(data) {
		return nil, fmt.Errorf("bad /First or /N")
	}
	br := bufio.NewReader(bytes.NewReader(data[:first]))
	offs := make([]int, n+1)
	for i := 0; i < n; i++ {
		xrefToken(br) // the object number: the cross-reference's index is what counts
		t, _ := xrefToken(br)
		o, err := strconv.Atoi(t)
		if err != nil || o < 0 || first+o > len(data) || (i > 0 && o < offs[i-1]) {
			return nil, fmt.Errorf("bad offset table")
		}
		offs[i] = o
	}
	offs[n] = len(data) - first
	return &objStm{data: data, first: first, offs: offs}, nil
}

// xrefToken reads the next whitespace-delimited token.
func xrefToken(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			if len(b) > 0 {
				return string(b), nil
			}
			return "", fmt.Errorf("unexpected end of cross-reference data")
		}
		switch c {
		case ' ', '\n', '\r', '\t', '\f', 0:
			if len(b) > 0 {
				return string(b), nil
			}
			continue
		}
		if len(b) >= 32 {
			return "", fmt.Errorf("bad cross-reference data")
		}
		b = append(b, c)
	}
}

// streamData reads and decodes a stream's data. The stream dictionary is a copy: its data is
// not kept in the document's model.
func (lr *lazyReader) streamData(sd *types.StreamDict) ([]byte, error) {
	raw, err := lr.rawStream(sd)
	if err != nil {
		return nil, err
	}
	data, err := decodeStream(sd, raw, maxDecoded)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, damaged("%w", err)
		}
		return nil, damaged("stream data: %w", err)
	}
	return data, nil
}

// rawStream reads a stream's encoded data.
func (lr *lazyReader) rawStream(sd *types.StreamDict) ([]byte, error) {
	if sd.Raw != nil {
		return sd.Raw, nil
	}
	var n int64 = -1
	if sd.StreamLength != nil {
		n = *sd.StreamLength
	} else if nr := sd.StreamLengthObjNr; nr != nil {
		if err := lr.load(*nr); err != nil {
			return nil, err
		}
		if e, ok := lr.ctx.XRefTable.Table[*nr]; ok {
			if i, ok := e.Object.(types.Integer); ok {
				n = int64(i)
			}
		}
	}
	if n < 0 || sd.StreamOffset <= 0 || sd.StreamOffset+n > lr.size {
		return nil, damaged("stream length or offset outside the file")
	}
	if n > maxStreamBytes {
		return nil, damaged("a stream of %d bytes is more than vbdt reads at once", n)
	}
	buf := make([]byte, n)
	if _, err := lr.src.ReadAt(buf, sd.StreamOffset); err != nil {
		return nil, err
	}
	return buf, nil
}
