package convert

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vbdt/vbdt/internal/fsutil"
)

// Document is one archival PDF to make: its place in its file (hồ sơ), its images and its
// metadata.
type Document struct {
	FileCode string   `json:"file_code"` // mã hồ sơ, as written (it may hold "/")
	Ordinal  int      `json:"doc_ordinal"`
	Sources  []Source `json:"sources,omitempty"`
	// Fields are the document's archival metadata by their Decree 30 / 02/2019 names
	// (TypeName, CodeNumber, Subject, …), from the manifest.
	Fields map[string]string `json:"fields,omitempty"`
	Out    string            `json:"output"`
}

// Source is an image file and the pages of it the document takes (all when Pages is nil).
type Source struct {
	Path  string `json:"path"`
	Pages []int  `json:"pages,omitempty"` // 1-based
}

// Key identifies the document in a batch journal: its output.
func (d Document) Key() string { return d.Out }

// imageExts are the image files a dossier folder is read for.
var imageExts = []string{".jpg", ".jpeg", ".tif", ".tiff", ".png"}

// FileName is the archival name of a document: <mã hồ sơ>.<ordinal, 3 digits>.pdf, the code
// escaped reversibly (EscapeCode) so that a "/" of the notation makes no folder.
func FileName(code string, ordinal int) string {
	return fmt.Sprintf("%s.%03d.pdf", EscapeCode(code), ordinal)
}

// EscapeCode escapes a file code for a file name: "%" as %25, "/" as %2F, and the other bytes
// no file system takes (control characters, \ : * ? " < > |) the same way. UnescapeCode
// reverses it.
func EscapeCode(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(`%/\:*?"<>|`, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// UnescapeCode is the file code an escaped name holds.
func UnescapeCode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("%q: a %% escape is cut short", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("%q: %q is not an escape", s, s[i:i+3])
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// PlanFolders plans the documents of dossier folders: each folder is a file (hồ sơ) whose name
// is its code, each image file in it — a multi-page TIFF is one file — a document, numbered in
// the order of their names. Outputs go to outDir.
func PlanFolders(dirs []string, outDir string) ([]Document, error) {
	var docs []Document
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		code, err := UnescapeCode(filepath.Base(filepath.Clean(dir)))
		if err != nil {
			return nil, err
		}
		ordinal := 0
		for _, e := range entries {
			if e.IsDir() || !slices.Contains(imageExts, strings.ToLower(filepath.Ext(e.Name()))) {
				continue
			}
			ordinal++
			docs = append(docs, Document{FileCode: code, Ordinal: ordinal,
				Sources: []Source{{Path: filepath.Join(dir, e.Name())}}, Out: filepath.Join(outDir, FileName(code, ordinal))})
		}
		if ordinal == 0 {
			return nil, fmt.Errorf("%s: no image (%s) in the folder", dir, strings.Join(imageExts, ", "))
		}
	}
	return docs, nil
}

// Manifest columns: the document's place, its images, then any metadata field by name.
const (
	colFileCode = "FileCode"
	colOrdinal  = "DocOrdinal"
	colImages   = "Images"
)

// PlanManifest plans the documents a CSV manifest lists, a row each: FileCode, DocOrdinal,
// Images (paths relative to the manifest, separated by ";", each optionally with pages:
// "scan.tif[1-3,5]"), and metadata columns (TypeName, CodeNumber, Subject, …).
func PlanManifest(path, outDir string) ([]Document, error) {
	data, err := fsutil.ReadSmall(path, 64<<20)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\uFEFF")))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{colFileCode, colOrdinal, colImages} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no %s column (the columns are %s, %s, %s and metadata fields)", path, need, colFileCode, colOrdinal, colImages)
		}
	}
	var docs []Document
	seen := map[string]int{}
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		at := func(c string) string { return strings.TrimSpace(row[col[c]]) }
		n, err := strconv.Atoi(at(colOrdinal))
		if err != nil || n < 1 || n > 999 {
			return nil, fmt.Errorf("%s:%d: DocOrdinal %q is not a number from 1 to 999", path, line, at(colOrdinal))
		}
		d := Document{FileCode: at(colFileCode), Ordinal: n, Fields: map[string]string{}}
		if d.FileCode == "" || !utf8.ValidString(d.FileCode) {
			return nil, fmt.Errorf("%s:%d: no FileCode", path, line)
		}
		d.Out = filepath.Join(outDir, FileName(d.FileCode, n))
		if prev, ok := seen[d.Out]; ok {
			return nil, fmt.Errorf("%s:%d: document %s %03d is also on line %d", path, line, d.FileCode, n, prev)
		}
		seen[d.Out] = line
		for _, spec := range strings.Split(at(colImages), ";") {
			if spec = strings.TrimSpace(spec); spec == "" {
				continue
			}
			src, err := parseSource(spec)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			if !filepath.IsAbs(src.Path) {
				src.Path = filepath.Join(filepath.Dir(path), src.Path)
			}
			d.Sources = append(d.Sources, src)
		}
		if len(d.Sources) == 0 {
			return nil, fmt.Errorf("%s:%d: no image", path, line)
		}
		for name, i := range col {
			if name != colFileCode && name != colOrdinal && name != colImages && i < len(row) && strings.TrimSpace(row[i]) != "" {
				d.Fields[name] = strings.TrimSpace(row[i])
			}
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// parseSource reads "path" or "path[1-3,5]".
func parseSource(spec string) (Source, error) {
	i := strings.LastIndexByte(spec, '[')
	if i < 0 || !strings.HasSuffix(spec, "]") {
		return Source{Path: spec}, nil
	}
	s := Source{Path: spec[:i]}
	for _, part := range strings.Split(spec[i+1:len(spec)-1], ",") {
		from, to, found := strings.Cut(strings.TrimSpace(part), "-")
		a, err1 := strconv.Atoi(from)
		b, err2 := a, error(nil)
		if found {
			b, err2 = strconv.Atoi(to)
		}
		if err1 != nil || err2 != nil || a < 1 || b < a || b-a > 100000 {
			return s, fmt.Errorf("%q: pages %q are not like [1-3,5]", spec, part)
		}
		for p := a; p <= b; p++ {
			s.Pages = append(s.Pages, p)
		}
	}
	return s, nil
}
