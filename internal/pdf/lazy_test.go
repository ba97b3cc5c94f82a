package pdf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// lazySamples adds to the samples a second revision of each (an incremental update).
func lazySamples(t *testing.T) map[string]string {
	out := samples(t)
	for _, flavour := range []string{"xref-table", "xref-stream"} {
		path := out[flavour]
		d, err := OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		inc := d.NewIncrement()
		_, root, _ := d.catalog()
		c, _ := inc.modifyDict(root)
		c.Update("Lang", types.StringLiteral("vi-VN"))
		if err := inc.ReplacePageContent(1, []byte("BT /F1 12 Tf (x) Tj ET")); err != nil {
			t.Fatal(err)
		}
		w, err := inc.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		orig, _ := os.ReadFile(path)
		d.Close()
		p := filepath.Join(t.TempDir(), "updated.pdf")
		os.WriteFile(p, append(orig, w.Bytes...), 0o644)
		out[flavour+"+increment"] = p
	}
	return out
}

// The lazy reader resolves every object to what pdfcpu's full reader resolves it to, and keeps
// no stream data in memory.
func TestLazyReaderMatchesPdfcpu(t *testing.T) {
	for name, path := range lazySamples(t) {
		t.Run(name, func(t *testing.T) {
			f, size, err := openSized(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sx, err := lastStartxref(f, size)
			if err != nil {
				t.Fatal(err)
			}
			lr, _, err := readLazy(context.Background(), f, size, sx)
			if err != nil {
				t.Fatalf("lazy reader: %v", err)
			}
			if err := lr.loadAll(); err != nil {
				t.Fatalf("lazy reader: %v", err)
			}
			lazy := lr.ctx
			f.Seek(0, 0)
			full, err := pdfcpu.ReadWithContext(context.Background(), f, config())
			if err != nil {
				t.Fatal(err)
			}
			if lazy.XRefTable.Root.PDFString() != full.XRefTable.Root.PDFString() {
				t.Errorf("root %v, pdfcpu %v", lazy.XRefTable.Root, full.XRefTable.Root)
			}
			var nums []int
			for n, e := range full.XRefTable.Table {
				if !e.Free && e.Object != nil {
					nums = append(nums, n)
				}
			}
			sort.Ints(nums)
			if len(nums) < 5 {
				t.Fatalf("only %d objects", len(nums))
			}
			streams := 0
			for _, n := range nums {
				e := lazy.XRefTable.Table[n]
				want, err := full.XRefTable.Dereference(*types.NewIndirectRef(n, *full.XRefTable.Table[n].Generation))
				if err != nil {
					t.Fatal(err)
				}
				if e == nil || e.Free || e.Object == nil {
					t.Errorf("object %d missing", n)
					continue
				}
				switch w := want.(type) {
				case types.XRefStreamDict, types.ObjectStreamDict:
					continue // containers, parsed only as streams by the lazy reader
				case types.StreamDict:
					got, ok := e.Object.(types.StreamDict)
					if !ok {
						t.Errorf("object %d: %T, pdfcpu %T", n, e.Object, want)
						continue
					}
					if got.Raw != nil {
						t.Errorf("object %d: stream data held in memory", n)
					}
					if got.Dict.PDFString() != w.Dict.PDFString() {
						t.Errorf("object %d: %s, pdfcpu %s", n, got.Dict.PDFString(), w.Dict.PDFString())
					}
					raw, err := lr.rawStream(&got)
					if err != nil || !bytes.Equal(raw, w.Raw) {
						t.Errorf("object %d: stream data differs (%v)", n, err)
					}
					streams++
				default:
					if e.Object.PDFString() != want.PDFString() {
						t.Errorf("object %d: %s, pdfcpu %s", n, e.Object.PDFString(), want.PDFString())
					}
				}
			}
			if streams == 0 {
				t.Error("no streams compared")
			}
		})
	}
}

// Wrong cross-reference offsets are repaired by the lazy reader itself: each object is taken
// from its "N G obj" header nearest to where the entry points.
func TestOpenRepairsBadOffsets(t *testing.T) {
	data, _ := os.ReadFile(samples(t)["xref-table"])
	// shift every in-use offset by one byte: each entry now points just past "N 0 obj"'s start
	bad := regexp.MustCompile(`(?m)^(\d{10}) 00000 n`).ReplaceAllFunc(data, func(e []byte) []byte {
		b := bytes.Clone(e)
		b[9] = '9'
		return b
	})
	if bytes.Equal(bad, data) {
		t.Fatal("no entries changed")
	}
	sx, _ := lastStartxref(bytes.NewReader(bad), int64(len(bad)))
	lr, _, err := readLazy(context.Background(), bytes.NewReader(bad), int64(len(bad)), sx)
	if err != nil {
		t.Fatalf("the lazy reader did not repair wrong offsets: %v", err)
	}
	for nr, e := range lr.ctx.XRefTable.Table {
		if !e.Free && !e.Compressed && !lr.headerAt(*e.Offset, nr, *e.Generation) {
			t.Errorf("object %d: offset %d still wrong", nr, *e.Offset)
		}
	}
	d, err := Open(bytes.NewReader(bad), int64(len(bad)))
	if err != nil {
		t.Fatalf("not repaired: %v", err)
	}
	if d.PageCount() != 1 {
		t.Errorf("pages %d", d.PageCount())
	}
}

func TestOpenEncrypted(t *testing.T) {
	in := samples(t)["xref-table"]
	out := filepath.Join(t.TempDir(), "enc.pdf")
	if b, err := exec.Command("qpdf", "--encrypt", "u", "o", "256", "--", in, out).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, b)
	}
	if _, err := OpenFile(out); !errors.Is(err, ErrEncrypted) {
		t.Fatalf("got %v", err)
	}
}
