package verify_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/verify"
)

// Manipulations an independent red-team run found judged TOTAL_PASSED (each now fails), after a
// DocMDP P=2 certification that permits form filling and signing existing fields only.
func redTeamCases() []corpusCase {
	failed := func(name, reason string, build func(t testing.TB, c *corpus, dir string) string) corpusCase {
		return corpusCase{name: name, build: build, want: verify.TotalFailed, sub: verify.SigConstraintsFailure,
			reason: reason, pdfsigWrong: whyLaterRevisions}
	}
	return []corpusCase{
		// an update appended after the signature that the final startxref does not reach: what
		// a viewer shows is what was signed, and the report says the file holds more
		{name: "redteam/unreached-update", want: verify.TotalPassed,
			build: func(t testing.TB, c *corpus, dir string) string {
				in := c.approval(t)
				data := readFile(t, in)
				prev := string(startxrefRE.FindSubmatch(data)[1])
				data = append(data, fmt.Sprintf("99 0 obj\n(hidden)\nendobj\nxref\n99 1\n%010d 00000 n\r\ntrailer\n<< /Size 100 >>\nstartxref\n%s\n%%%%EOF\n", len(data), prev)...)
				out := filepath.Join(dir, "unreached.pdf")
				writeFile(t, out, data)
				return out
			},
			check: func(t testing.TB, r *verify.Report) {
				for _, f := range r.Signatures[0].Findings {
					if f.Code == "unreached-bytes" {
						return
					}
				}
				t.Errorf("no unreached-bytes warning: %+v", r.Signatures[0].Findings)
			}},
		// a fake seal drawn into the organization's prepared, still unsigned signature field:
		// redrawing a signature field is signing it, or nothing
		failed("redteam/unsigned-signature-field-redrawn", `signature field "vbdt_issuer" was changed`,
			func(t testing.TB, c *corpus, dir string) string {
				in := c.approved(t)
				objs := qpdfJSON(t, in)
				field := objByT(t, objs, "vbdt_issuer")
				ap := refNum(t, objs[strconv.Itoa(field)]["/AP"].(map[string]any)["/N"])
				return appendRaw(t, in, filepath.Join(dir, "fake-seal.pdf"), map[int]string{
					ap: stream("/Type /XObject /Subtype /Form /BBox [0 0 102 102]", "1 0 0 RG 4 w 5 5 92 92 re S"),
				}, nil)
			}),
		// the same field given a /V that is no signature dictionary, and an appearance
		failed("redteam/signature-field-value-not-a-signature", `signature field "vbdt_issuer" was changed`,
			func(t testing.TB, c *corpus, dir string) string {
				in := c.approved(t)
				field := objByT(t, qpdfJSON(t, in), "vbdt_issuer")
				o := objects(t, in)
				body := regexp.MustCompile(`/AP\s*<<\s*/N\s+\d+\s+0\s+R\s*>>`).ReplaceAllString(lastBody(t, in, field), fmt.Sprintf("/AP << /N %d 0 R >>", o.size))
				return appendRaw(t, in, filepath.Join(dir, "v-name.pdf"), map[int]string{
					field:  insertKey(body, "/V /Signed"),
					o.size: stream("/Type /XObject /Subtype /Form /BBox [0 0 102 102]", "1 0 0 RG 4 w 5 5 92 92 re S"),
				}, nil)
			}),
		// the draft's page draws an object its cross-reference places past the end of the file
		// (null when signed); after signing, the file is padded to that offset and the object
		// written there: an object the signed revision referred to without having it
		failed("redteam/xref-entry-past-the-end-filled-later", "referred to without having it",
			func(t testing.TB, c *corpus, dir string) string {
				base := c.base(1)
				o := objects(t, base)
				far, farAt := o.size, int64(3_000_000)
				page := strings.Replace(lastBody(t, base, o.page), fmt.Sprintf("/Contents %d 0 R", o.contents),
					fmt.Sprintf("/Contents [%d 0 R %d 0 R]", o.contents, far), 1)
				draft := rawIncrement(t, base, map[int]string{o.page: page}, nil)
				i := bytes.LastIndex(draft, []byte("trailer"))
				draft = append(draft[:i:i], append([]byte(fmt.Sprintf("%d 1\n%010d 00000 n\r\n", far, farAt)), draft[i:]...)...)
				draft = regexp.MustCompile(`/Size \d+`).ReplaceAll(draft, []byte(fmt.Sprintf("/Size %d", far+2)))
				draftPath := filepath.Join(dir, "draft.pdf")
				writeFile(t, draftPath, draft)
				signed := filepath.Join(dir, "signed.pdf")
				r := c.req(testpki.Approver, testpki.ECDSA)
				r.Field, r.DocMDP = "cert", 2
				signFile(t, draftPath, signed, r)
				data := readFile(t, signed)
				prev := string(startxrefRE.FindSubmatch(data)[1])
				root := fmt.Sprintf("%d 0 R", o.root)
				data = append(data, '%')
				data = append(data, bytes.Repeat([]byte{' '}, int(farAt)-len(data)-1)...)
				data = append(data, '\n')
				data = append(data, fmt.Sprintf("%d 0 obj\n%s\nendobj\n", far, stream("", "BT /F1 36 Tf 72 300 Td (ABCD) Tj ET"))...)
				// an update of nothing, after it: the object is now inside the file
				x := len(data)
				data = append(data, fmt.Sprintf("xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size %d /Root %s /Prev %s >>\nstartxref\n%d\n%%%%EOF\n", far+1, root, prev, x)...)
				out := filepath.Join(dir, "revealed.pdf")
				writeFile(t, out, data)
				return out
			}),
		// one form XObject is both a text field's appearance and drawn by the page's content:
		// "redrawing the field" after signing replaces page content
		failed("redteam/appearance-shared-with-page-content", "XObject",
			func(t testing.TB, c *corpus, dir string) string {
				base := c.base(1)
				o := objects(t, base)
				xo, widget, content := o.size, o.size+1, o.size+2
				objs := qpdfJSON(t, base)
				res := refNum(t, objs[strconv.Itoa(o.page)]["/Resources"])
				resBody := lastBody(t, base, res)
				if strings.Contains(resBody, "/XObject <<") {
					resBody = strings.Replace(resBody, "/XObject <<", fmt.Sprintf("/XObject << /X1 %d 0 R", xo), 1)
				} else {
					resBody = insertKey(resBody, fmt.Sprintf("/XObject << /X1 %d 0 R >>", xo))
				}
				form := func(text string) string {
					return stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 300 20] /Resources %d 0 R", res),
						"BT /Helv 14 Tf 2 3 Td ("+text+") Tj ET")
				}
				page := insertKey(strings.Replace(lastBody(t, base, o.page), fmt.Sprintf("/Contents %d 0 R", o.contents),
					fmt.Sprintf("/Contents [%d 0 R %d 0 R]", o.contents, content), 1), fmt.Sprintf("/Annots [%d 0 R]", widget))
				draft := appendRaw(t, base, filepath.Join(dir, "draft.pdf"), map[int]string{
					res:     resBody,
					o.page:  page,
					xo:      form("A"),
					widget:  fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (note) /Rect [300 600 600 620] /F 4 /P %d 0 R /AP << /N %d 0 R >> /V () >>", o.page, xo),
					content: stream("", "q 1 0 0 1 72 400 cm /X1 Do Q"),
					o.root:  insertKey(lastBody(t, base, o.root), fmt.Sprintf("/AcroForm << /Fields [%d 0 R] >>", widget)),
				}, nil)
				signed := filepath.Join(dir, "signed.pdf")
				r := c.req(testpki.Approver, testpki.ECDSA)
				r.Field, r.DocMDP = "cert", 2
				signFile(t, draft, signed, r)
				return appendRaw(t, signed, filepath.Join(dir, "replaced.pdf"), map[int]string{xo: form("BBB")}, nil)
			}),
	}
}
