package envelope

import (
	"archive/zip"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/vbdt/vbdt/internal/asynchash"
	"github.com/vbdt/vbdt/internal/fsutil"
	"gopkg.in/yaml.v3"
)

// sentAsIs are the extensions the platform's SDK attaches as they are; it zips any other file
// and labels it application/zip.
var sentAsIs = map[string]string{
	"pdf":  "application/pdf",
	"doc":  "application/msword",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xls":  "application/vnd.ms-excel",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"zip":  "application/zip",
}

func ext(name string) string {
	return strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
}

// PackRequest is an envelope to write from files.
type PackRequest struct {
	// Envelope holds the header and trace; each attachment's File names the file to attach
	// (relative to Dir). Name, ContentType, ContentID and Zipped are filled in when empty, the
	// way the SDK fills them.
	Envelope *Envelope
	Dir      string
	Out      string
}

// Pack writes an envelope and its attachments to req.Out, atomically, and returns the
// envelope as written (content ids, types, sizes and hashes of what was attached).
func Pack(req PackRequest) (*Envelope, error) {
	e := *req.Envelope
	e.Attachments = append([]Attachment(nil), req.Envelope.Attachments...)
	var contents []Content
	hashes := make([]*asynchash.Hash, len(e.Attachments))
	for i := range e.Attachments {
		a := &e.Attachments[i]
		if a.File == "" {
			return nil, fmt.Errorf("attachment %d names no file", i+1)
		}
		path := a.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(req.Dir, path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", path)
		}
		if a.Name == "" {
			a.Name = filepath.Base(path)
		}
		if a.Description == "" {
			a.Description = a.Name
		}
		if a.ContentID == "" {
			a.ContentID = fmt.Sprintf("cid:%d", i+1)
		}
		if a.ContentType == "" {
			if t, ok := sentAsIs[ext(a.Name)]; ok {
				a.ContentType = t
			} else {
				a.Zipped = true
				a.ContentType = "application/zip"
			}
		}
		if a.Zipped && a.Entry == "" {
			a.Entry = a.Name
		}
		a.Size = fi.Size() // until the bytes sent are counted
		zipped, entry := a.Zipped, a.Entry
		contents = append(contents, func() (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			var r io.ReadCloser = f
			if zipped {
				r = zipStream(f, entry, fi)
			}
			hashes[i] = asynchash.New() // the bytes sent, hashed on another core
			return struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r, hashes[i]), r}, nil
		})
	}
	// the model is checked before anything is written: what Write writes of it, manifest and
	// attachments agree by construction
	e.manifest, e.attached = e.Attachments, e.Attachments
	var bad []Finding
	for _, f := range Validate(&e) {
		if f.Severity == Error {
			bad = append(bad, f)
		}
	}
	e.manifest, e.attached = nil, nil
	if len(bad) > 0 {
		return &e, &InvalidError{Findings: bad}
	}
	err := fsutil.Replace(req.Out, 0o644, func(f *os.File) error { return Write(fsutil.Writeback(f), &e, contents) })
	for i, h := range hashes {
		if h != nil {
			e.Attachments[i].Size, e.Attachments[i].SHA256 = h.Size(), hex.EncodeToString(h.Sum())
		}
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// InvalidError is an envelope that would not be valid: nothing was written.
type InvalidError struct{ Findings []Finding }

func (e *InvalidError) Error() string {
	var msgs []string
	for _, f := range e.Findings {
		msgs = append(msgs, f.Message+" ["+f.Rule+"]")
	}
	return "the envelope would be invalid: " + strings.Join(msgs, "; ")
}

// zipStream zips one file, as it is read, into a one-entry zip.
func zipStream(f *os.File, entry string, fi os.FileInfo) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		zw := zip.NewWriter(pw)
		hdr, err := zip.FileInfoHeader(fi)
		if err == nil {
			hdr.Name, hdr.Method = entry, zip.Deflate
			var w io.Writer
			if w, err = zw.CreateHeader(hdr); err == nil {
				_, err = io.Copy(w, f)
			}
		}
		if err == nil {
			err = zw.Close()
		}
		f.Close()
		pw.CloseWithError(err)
	}()
	return pr
}

// UnpackRequest is an envelope to take apart into a folder.
type UnpackRequest struct {
	In  io.Reader
	Dir string
	// Raw keeps zip-wrapped attachments as the zips they travel in.
	Raw bool
	// Force replaces files already in Dir.
	Force  bool
	Limits Limits
}

// Unpack writes an envelope's attachments into req.Dir, each atomically under its (cleaned)
// name and unzipped when the SDK zipped it, then meta.yaml: the header, the trace and the
// attachments with the files they went to. An envelope that cannot be read leaves nothing.
func Unpack(req UnpackRequest) (*Envelope, error) {
	if err := os.MkdirAll(req.Dir, 0o755); err != nil {
		return nil, err
	}
	var parts []*os.File
	defer func() {
		for _, p := range parts {
			p.Close()
			os.Remove(p.Name())
		}
	}()
	e, err := Read(req.In, ReadOptions{Limits: req.Limits, Attachment: func(int, *Attachment) (io.Writer, error) {
		f, err := fsutil.CreateTemp(req.Dir, ".vbdt-unpack-", 0o644)
		if err != nil {
			return nil, err
		}
		parts = append(parts, f)
		return f, nil
	}})
	if err != nil {
		return nil, err
	}
	names := map[string]bool{"meta.yaml": true}
	att := 0
	for i := range e.Attachments {
		a := &e.Attachments[i]
		if a.attached == 0 { // referenced, not attached
			continue
		}
		part := parts[a.attached-1]
		name := unique(names, cleanName(a.Name, att+1))
		att++
		placed, err := place(part, filepath.Join(req.Dir, name), a, req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		a.File = filepath.Base(placed)
	}
	meta, err := yaml.Marshal(e)
	if err != nil {
		return nil, err
	}
	target := filepath.Join(req.Dir, "meta.yaml")
	if err := noClobber(target, req.Force); err != nil {
		return nil, err
	}
	return e, fsutil.Replace(target, 0o644, func(f *os.File) error { _, err := f.Write(meta); return err })
}

// place moves a decoded attachment to its name, unzipping the SDK's one-entry zips.
func place(part *os.File, target string, a *Attachment, req UnpackRequest) (string, error) {
	if err := noClobber(target, req.Force); err != nil {
		return "", err
	}
	if strings.EqualFold(a.ContentType, "application/zip") && ext(a.Name) != "zip" {
		if !req.Raw {
			if entry, ok, err := unwrap(part, target, a.Size, req.Limits.withDefaults().AttachmentBytes); err != nil || ok {
				a.Zipped, a.Entry = ok, entry
				return target, err
			}
		}
		// a zip kept as it came is named as one
		target += ".zip"
		if err := noClobber(target, req.Force); err != nil {
			return "", err
		}
	}
	// the decoded file is complete: it takes its name, made durable first
	if err := part.Sync(); err != nil {
		return "", err
	}
	return target, os.Rename(part.Name(), target)
}

// unwrap writes the only entry of a zip to target; ok is false when the zip is not one file.
func unwrap(part *os.File, target string, size, limit int64) (entry string, ok bool, err error) {
	zr, err := zip.NewReader(part, size)
	if err != nil || len(zr.File) != 1 || zr.File[0].FileInfo().IsDir() {
		return "", false, nil // not the SDK's wrapping: kept as it came
	}
	zf := zr.File[0]
	err = fsutil.Replace(target, 0o644, func(f *os.File) error {
		r, err := zf.Open()
		if err != nil {
			return err
		}
		defer r.Close()
		n, err := io.Copy(f, io.LimitReader(r, limit+1))
		if err == nil && n > limit {
			err = fmt.Errorf("the zipped file is larger than %d bytes", limit)
		}
		return err
	})
	return zf.Name, err == nil, err
}

func noClobber(path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists (--force replaces it)", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// cleanName makes an attachment's name a plain file name: no folders, no leading dot, no
// control characters; n names it when nothing is left.
func cleanName(name string, n int) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = name[strings.LastIndex(name, "/")+1:]
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`<>:"|?*`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if name == "" {
		return fmt.Sprintf("attachment-%d", n)
	}
	// file systems take 255 bytes: a long Vietnamese name is cut, its extension kept
	const maxName = 200
	if len(name) > maxName {
		x := filepath.Ext(name)
		if len(x) > 16 {
			x = ""
		}
		base := name[:len(name)-len(x)]
		cut := maxName - len(x)
		for cut > 0 && !utf8.RuneStart(base[cut]) {
			cut--
		}
		name = base[:cut] + x
	}
	return name
}

// unique gives a name not yet taken, adding -2, -3… before the extension.
func unique(taken map[string]bool, name string) string {
	base, x := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
	out := name
	for i := 2; taken[strings.ToLower(out)]; i++ {
		out = fmt.Sprintf("%s-%d%s", base, i, x)
	}
	taken[strings.ToLower(out)] = true
	return out
}

// ReadMeta reads an envelope's description from meta.yaml (as unpack writes it, or by hand).
func ReadMeta(path string) (*Envelope, error) {
	data, err := fsutil.ReadSmall(path, 16<<20)
	if err != nil {
		return nil, err
	}
	var e Envelope
	if err := yaml.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &e, nil
}
