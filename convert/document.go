package convert

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbdt/vbdt/convert/scan"
	"github.com/vbdt/vbdt/internal/asynchash"
	"github.com/vbdt/vbdt/internal/fsutil"
)

// Options say how documents are made.
type Options struct {
	Part Part
	// DPI is the resolution of images that give none (0: such an image is an error).
	DPI float64
	// Profile is the digitization rule set the documents are checked against.
	Profile  Profile
	Producer string
	// Zone is the time zone of the documents' dates (default Asia/Ho_Chi_Minh's +07:00).
	Zone *time.Location
}

// Result is what became of a document: the sidecar written next to it, and a manifest row.
type Result struct {
	Document
	PDFA     Part         `json:"pdfa"`
	Pages    int          `json:"pages"`
	Bytes    int64        `json:"bytes"`
	SHA256   string       `json:"sha256"`
	Created  time.Time    `json:"created"`
	Sources  []SourceHash `json:"source_files,omitempty"`
	Embedded []PageResult `json:"page_embedding,omitempty"`
	// Conforms says whether the document meets the profile; Problems says where it does not.
	Profile  Profile   `json:"profile"`
	Conforms bool      `json:"conforms"`
	Problems []Problem `json:"problems,omitempty"`
	// OCR is the text layer added after conversion (vbdt convert ocr), nil without one.
	OCR *OCR `json:"ocr,omitempty"`
	// Signatures are those added after conversion (vbdt convert sign).
	Signatures []Signed `json:"signatures,omitempty"`
}

// SourceHash is the fixity of a source file.
type SourceHash struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// selected returns the pages of a file of n pages the source takes (1-based), checked.
func (s Source) selected(n int) ([]int, error) {
	if s.Pages == nil {
		all := make([]int, n)
		for i := range all {
			all[i] = i + 1
		}
		return all, nil
	}
	for _, p := range s.Pages {
		if p < 1 || p > n {
			return nil, fmt.Errorf("%s: there is no page %d (the file has %d)", s.Path, p, n)
		}
	}
	return s.Pages, nil
}

// SidecarPath is the metadata file written next to a document.
func SidecarPath(out string) string { return strings.TrimSuffix(out, ".pdf") + ".json" }

// Inspect reads a document's sources and returns the pages it will hold, their fixity and the
// newest modification time among them. It reads each file whole once, to hash it, and holds
// none open: a document of 20 000 scans opens them one at a time.
func Inspect(d Document, o Options) ([]Image, []SourceHash, time.Time, error) {
	var (
		images []Image
		hashes []SourceHash
		newest time.Time
	)
	for _, src := range d.Sources {
		pages, hash, mtime, err := inspectFile(src.Path)
		if err != nil {
			return nil, nil, time.Time{}, fmt.Errorf("%s: %w", src.Path, err)
		}
		hashes = append(hashes, hash)
		if mtime.After(newest) {
			newest = mtime
		}
		want, err := src.selected(len(pages))
		if err != nil {
			return nil, nil, time.Time{}, err
		}
		for _, n := range want {
			images = append(images, Image{Path: src.Path, Page: pages[n-1], DPI: o.DPI})
		}
	}
	return images, hashes, newest, nil
}

// pagesOf reads an image file's pages' headers, and nothing else of it.
func pagesOf(path string) ([]scan.Page, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return scan.Inspect(f, fi.Size())
}

// inspectFile hashes an image file and reads its pages' headers.
func inspectFile(path string) ([]scan.Page, SourceHash, time.Time, error) {
	sf, err := readSource(path)
	if err != nil {
		return nil, SourceHash{}, time.Time{}, err
	}
	h, err := sf.hash()
	sf.data.release()
	return sf.pages, h, sf.mtime, err
}

// inMemory is the size up to which a source file is read once into memory, and inspected,
// hashed and copied from there: a scanned page is a few megabytes at most.
const inMemory = 32 << 20

// sourceFile is an image file being read: its pages' headers, its fixity on the way, and its
// bytes when it is small enough to keep.
type sourceFile struct {
	pages []scan.Page
	// hash waits for the file's fixity.
	hash  func() (SourceHash, error)
	mtime time.Time
	// data is held for the caller, which releases it when its pages no longer need it; nil
	// when the file is read from its path.
	data *fileBytes
	err  error
}

// readSource reads an image file's pages' headers and starts hashing it on another core.
func readSource(path string) (sourceFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return sourceFile{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("not a regular file")
	}
	if err != nil {
		return sourceFile{}, err
	}
	size := fi.Size()
	if size > inMemory {
		return readLargeSource(path, fi)
	}
	data := newFileBytes(int(size))
	if _, err := io.ReadFull(f, data.b); err != nil {
		data.release()
		return sourceFile{}, err
	}
	pages, err := scan.Inspect(scan.Bytes(data.b), size)
	if err != nil {
		data.release()
		return sourceFile{}, err
	}
	data.hold(1) // for the hashing
	done := make(chan struct{})
	var sum SourceHash
	go func() {
		defer close(done)
		h := sha256.Sum256(data.b)
		data.release()
		sum = SourceHash{Path: path, Bytes: size, SHA256: hex.EncodeToString(h[:])}
	}()
	return sourceFile{pages: pages, hash: func() (SourceHash, error) { <-done; return sum, nil }, mtime: fi.ModTime(), data: data}, nil
}

// readLargeSource inspects a file too large to keep in memory where it lies, and hashes it
// from its path on another core.
func readLargeSource(path string, fi os.FileInfo) (sourceFile, error) {
	pages, err := pagesOf(path)
	if err != nil {
		return sourceFile{}, err
	}
	done := make(chan struct{})
	var sum SourceHash
	var herr error
	go func() {
		defer close(done)
		f, err := os.Open(path)
		if err != nil {
			herr = err
			return
		}
		defer f.Close()
		h := sha256.New()
		var n int64
		if n, herr = io.Copy(h, f); herr == nil {
			sum = SourceHash{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		}
	}()
	return sourceFile{pages: pages, hash: func() (SourceHash, error) { <-done; return sum, herr }, mtime: fi.ModTime()}, nil
}

// fileBytes is a source file's bytes, shared by its hashing and its pages; the last of them to
// be done with it gives it back, for the next file to be read into (a batch of scans then
// allocates a buffer or two, not one per file).
type fileBytes struct {
	b     []byte
	users atomic.Int32
}

// sourceBuffers holds the buffers given back.
var sourceBuffers sync.Pool

func newFileBytes(n int) *fileBytes {
	if fb, ok := sourceBuffers.Get().(*fileBytes); ok && cap(fb.b) >= n {
		fb.b = fb.b[:n]
		fb.users.Store(1)
		return fb
	}
	fb := &fileBytes{b: make([]byte, n, n+n/8)}
	fb.users.Store(1)
	return fb
}

// bytes returns the file's bytes, nil when it was not read into memory.
func (fb *fileBytes) bytes() []byte {
	if fb == nil {
		return nil
	}
	return fb.b
}

// hold counts n more users.
func (fb *fileBytes) hold(n int) {
	if fb != nil {
		fb.users.Add(int32(n))
	}
}

// release ends a use; the last one gives the buffer back. A use that never ends costs only
// the reuse: the collector takes the buffer.
func (fb *fileBytes) release() {
	if fb != nil && fb.users.Add(-1) == 0 {
		sourceBuffers.Put(fb)
	}
}

// readSources reads a document's source files, in order, on another goroutine a few files
// ahead of the pages being written.
type readSources struct {
	read chan sourceFile
	quit chan struct{}
}

// sourcesAhead is how many source files are read ahead of the one whose pages are written.
const sourcesAhead = 2

func readAhead(sources []Source) *readSources {
	rs := &readSources{read: make(chan sourceFile, sourcesAhead), quit: make(chan struct{})}
	go func() {
		defer close(rs.read)
		for _, src := range sources {
			sf, err := readSource(src.Path)
			sf.err = err
			select {
			case rs.read <- sf:
			case <-rs.quit:
				if err == nil {
					sf.hash() // the hashing ends before the document does
				}
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return rs
}

// stop ends the reading, waiting for the files read but not taken to be hashed.
func (rs *readSources) stop() {
	close(rs.quit)
	for sf := range rs.read {
		if sf.err == nil {
			sf.hash()
		}
	}
}

// Stats is what the profile checks of a document's pages, gathered as they are written: a
// document's memory does not grow with its pages.
type Stats struct {
	Pages     int
	LowestDPI float64
	NotColour int
	// Problems are the pages' own (an image's oddities), a line each, the first 100.
	Problems []string
}

func (s *Stats) add(im Image) {
	dpi := min(im.Page.XDPI, im.Page.YDPI)
	if dpi == 0 {
		dpi = im.DPI
	}
	if s.Pages == 0 || dpi < s.LowestDPI {
		s.LowestDPI = dpi
	}
	s.Pages++
	if !im.Page.Color {
		s.NotColour++
	}
	for _, pr := range im.Page.Problems {
		if len(s.Problems) < 100 {
			s.Problems = append(s.Problems, fmt.Sprintf("page %d: %s", s.Pages, pr))
		}
	}
}

// StatsOf gathers the stats of listed pages.
func StatsOf(images []Image) Stats {
	var s Stats
	for _, im := range images {
		s.add(im)
	}
	return s
}

// Convert makes document d: the PDF, atomically, then its sidecar. Its source files are read
// one at a time — inspected, hashed and their pages written — so that a document of 20 000
// scans takes no more memory than one of 20. The same sources give the same bytes: the PDF's
// dates are the newest source file's modification time.
func Convert(d Document, o Options) (*Result, error) {
	zone := o.Zone
	if zone == nil {
		zone = time.FixedZone("+07", 7*3600)
	}
	part := o.Part
	if part == "" {
		part = PDFA2B
	}
	title := d.Fields["Subject"]
	if title == "" {
		title = fmt.Sprintf("%s.%03d", d.FileCode, d.Ordinal)
	}
	res := &Result{Document: d, PDFA: part, Profile: o.Profile}
	var (
		stats  Stats
		newest time.Time
	)
	pages := func(fn func(Image) error) error {
		// the sources' hashes are collected behind the pages, a few files in flight
		var hashes []func() (SourceHash, error)
		collect := func(keep int) error {
			for len(hashes) > keep {
				h, err := hashes[0]()
				if err != nil {
					return fmt.Errorf("%s: %w", d.Sources[len(res.Sources)].Path, err)
				}
				hashes = hashes[1:] // what is collected is let go
				res.Sources = append(res.Sources, h)
			}
			return nil
		}
		defer collect(0) // on an early return, the hashing goroutines end before Convert does
		ahead := readAhead(d.Sources)
		defer ahead.stop()
		for _, src := range d.Sources {
			sf := <-ahead.read
			if sf.err != nil {
				return fmt.Errorf("%s: %w", src.Path, sf.err)
			}
			hashes = append(hashes, sf.hash)
			if sf.mtime.After(newest) {
				newest = sf.mtime
			}
			want, err := src.selected(len(sf.pages))
			if err != nil {
				return err
			}
			for _, n := range want {
				im := Image{Path: src.Path, Page: sf.pages[n-1], DPI: o.DPI, data: sf.data}
				stats.add(im)
				sf.data.hold(1) // released once the page is written
				if err := fn(im); err != nil {
					return err // it names its page's file: pages are written behind the reading
				}
			}
			sf.data.release()
			if err := collect(4); err != nil {
				return err
			}
		}
		if err := collect(0); err != nil {
			return err
		}
		res.Created = newest.In(zone).Truncate(time.Second)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(d.Out), 0o755); err != nil {
		return nil, err
	}
	meta := &Meta{Title: title, Producer: o.Producer}
	err := fsutil.ReplaceUnsynced(d.Out, 0o644, func(f *os.File) error {
		h := asynchash.New()
		cw := &counter{w: io.MultiWriter(fsutil.Writeback(f), h)}
		embedded, err := Write(cw, func(fn func(Image) error) error {
			err := pages(fn)
			meta.Time = res.Created
			return err
		}, meta, part)
		res.Embedded, res.Bytes, res.SHA256 = embedded, cw.n, hex.EncodeToString(h.Sum())
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Pages = stats.Pages
	res.Problems = o.Profile.Check(d, stats, res)
	res.Conforms = !slices.ContainsFunc(res.Problems, func(p Problem) bool { return p.Severity == "error" })
	return res, writeSidecar(d.Out, res)
}

// writeSidecar writes the sidecar of the document at out (made durable by the batch, with the
// document).
func writeSidecar(out string, r *Result) error {
	return fsutil.ReplaceUnsynced(SidecarPath(out), 0o644, func(f *os.File) error {
		w := bufio.NewWriter(f)
		if err := EncodeResult(w, r); err != nil {
			return err
		}
		w.WriteByte('\n')
		return w.Flush()
	})
}

// EncodeResult writes r as one JSON object, its per-source and per-page lists element by
// element: a document of 20 000 scans is never held encoded in memory.
func EncodeResult(w *bufio.Writer, r *Result) error {
	head := *r
	head.Document.Sources, head.Sources, head.Embedded = nil, nil, nil
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	w.Write(b[:len(b)-1])
	list := func(name string, n int, item func(int) any) error {
		if n == 0 {
			return nil
		}
		fmt.Fprintf(w, ",%q:[", name)
		for i := range n {
			if i > 0 {
				w.WriteByte(',')
			}
			b, err := json.Marshal(item(i))
			if err != nil {
				return err
			}
			w.Write(b)
		}
		return w.WriteByte(']')
	}
	if err := list("sources", len(r.Document.Sources), func(i int) any { return r.Document.Sources[i] }); err != nil {
		return err
	}
	if err := list("source_files", len(r.Sources), func(i int) any { return r.Sources[i] }); err != nil {
		return err
	}
	if err := list("page_embedding", len(r.Embedded), func(i int) any { return r.Embedded[i] }); err != nil {
		return err
	}
	return w.WriteByte('}')
}

// ReadSidecar reads the result a document's sidecar records.
func ReadSidecar(out string) (*Result, error) {
	data, err := fsutil.ReadSmall(SidecarPath(out), 16<<20)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", SidecarPath(out), err)
	}
	return &r, nil
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
