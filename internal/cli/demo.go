package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vbdt/vbdt/convert"
	"github.com/vbdt/vbdt/envelope"
	"github.com/vbdt/vbdt/exchange"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/fsutil"
	"github.com/vbdt/vbdt/internal/keys"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/ui"
	"github.com/vbdt/vbdt/sign"
	"github.com/vbdt/vbdt/verify"
)

// demoMarker marks a folder as made by `vbdt demo`, so a rerun may replace it.
const demoMarker = ".vbdt-demo"

// demoToken is the label of the demo's SoftHSM2 token.
const demoToken = "vbdt-demo"

func (a *app) newDemoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo DIR",
		Short: "Walk through the document lifecycle with throwaway test keys",
		Long: `Make a throwaway test PKI and (when SoftHSM2 is installed) a test token in DIR, then show
each step of an electronic document's life with them, leaving every artifact in DIR to open.
The keys are TEST keys, labelled as such: never use them for a real document.

DIR must be empty, missing, or a folder made by an earlier 'vbdt demo'.` +
			exitStatus(ui.ExitOK, ui.ExitFailure, ui.ExitKey, ui.ExitUsage),
		Example: `  $ vbdt demo ./demo-out
  $ vbdt demo ./demo-out --json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error { return a.runDemo(argv[0]) },
	}
}

type demoStep struct {
	title     string
	artifacts []string
	note      string
}

func (a *app) runDemo(dir string) error {
	if err := prepareDemoDir(dir); err != nil {
		return err
	}
	steps := 0
	step := func(s demoStep) {
		steps++
		if a.ui.JSON {
			a.ui.EmitItem(ui.Item{Status: "done", Result: demoStepResult{Step: steps, Title: s.title, Artifacts: s.artifacts, Note: s.note}})
			return
		}
		a.ui.Printf("\n%s\n", a.ui.Heading(fmt.Sprintf("Step %d. %s", steps, s.title)))
		for _, f := range s.artifacts {
			a.ui.Printf("  %s\n", f)
		}
		if s.note != "" {
			a.ui.Printf("  %s\n", s.note)
		}
	}
	if !a.ui.JSON {
		a.ui.Printf("%s\n", a.ui.Heading("vbdt demo: TEST KEYS ONLY. Nothing made here may sign a real document."))
	}

	// A TSA and an OCSP responder of the test PKI on a loopback port, for the demo's life: the
	// certificates name the responder, so the port is taken before they are made.
	services, urls, err := testpki.ListenResponders()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer services.Close()
	pkiDir := filepath.Join(dir, "pki")
	sets, err := testpki.WriteAllWith(pkiDir, time.Now(), urls)
	if err != nil {
		return fmt.Errorf("demo: test PKI: %w", err)
	}
	services.Serve(sets[testpki.RSA], sets[testpki.ECDSA])
	step(demoStep{
		title: "A test PKI shaped like the Vietnamese one (RSA-2048 and ECDSA P-256)",
		artifacts: []string{
			filepath.Join(pkiDir, "root-rsa.crt.pem") + "            root CA (KHÔNG DÙNG THẬT)",
			filepath.Join(pkiDir, "approver-rsa.p12") + "            approver Nguyễn Văn Ấn, UID=CCCD:… (password " + testpki.Password + ")",
			filepath.Join(pkiDir, "organization-rsa.p12") + "        organization Ủy ban nhân dân tỉnh Thử Nghiệm (seal key)",
			filepath.Join(pkiDir, "tsa-rsa.crt.pem") + "             time-stamping authority (critical timeStamping EKU)",
			filepath.Join(pkiDir, "ocsp-rsa.crt.pem") + "            OCSP responder",
		},
		note: "Every role also comes as -ecdsa, and as .key.pem + .crt.pem. For the demo's life, its TSA answers on " + services.TSAURL() +
			" and its OCSP responders on " + urls.OCSP[testpki.Intermediate] + " (named in the certificates).",
	})

	listing, softhsmConf, err := a.demoToken(dir, pkiDir, step)
	if err != nil {
		return err
	}
	step(demoStep{title: "The signing keys vbdt sees (vbdt keys list)"})
	a.nested().renderTokens(listing)

	cfgPath := filepath.Join(dir, "vbdt.yaml")
	if err := fsutil.WriteFileAtomic(cfgPath, []byte(demoConfig(dir, pkiDir)), 0o644); err != nil {
		return err
	}
	step(demoStep{
		title:     "A configuration for the test agency",
		artifacts: []string{cfgPath},
		note:      "Check it with: vbdt config check " + cfgPath,
	})

	// The document's life (Decree 30 Art. 10-19): drafted, signed by the approver, numbered and
	// registered by the clerk, sealed by the organization.
	a.global.configPath, a.cfg = cfgPath, nil
	paths, err := a.demoDocuments(dir, softhsmConf != "", services.TSAURL(), step)
	if err != nil {
		return err
	}
	if err := a.demoVerify(dir, paths.issued, step); err != nil {
		return err
	}
	if err := a.demoConvert(dir, step); err != nil {
		return err
	}
	if err := a.demoEnvelope(dir, paths.issued, step); err != nil {
		return err
	}
	if a.ui.JSON {
		a.ui.EmitSummary(ui.Summary{Command: "demo", Total: steps, Done: steps, Result: demoTotals{Dir: dir}})
		return nil
	}
	a.ui.Printf("\n%[1]s\n  vbdt --config %[4]s verify --profile nd30 -v %[2]s\n  pdfsig %[2]s\n  vbdt keys show file:%[3]s\n  vbdt --config %[4]s keys show approver\n"+
		"  vbdt --config %[4]s number list\n  vbdt --config %[4]s number book --format pdf -o %[5]s\n  vbdt envelope show %[6]s\n  vbdt envelope unpack %[6]s -d %[7]s\n",
		a.ui.Heading("Try next"), paths.issued, filepath.Join(pkiDir, "approver-rsa.p12"), cfgPath, filepath.Join(dir, "so-van-ban-di.pdf"),
		filepath.Join(dir, "9-phong-bi.edxml"), filepath.Join(dir, "nhan"))
	if softhsmConf != "" {
		a.ui.Printf("  SOFTHSM2_CONF=%s VBDT_PIN=%s vbdt keys list\n", softhsmConf, testpki.Password)
	}
	return nil
}

// demoToken loads the signers into a SoftHSM2 token when SoftHSM2 is installed and lists it;
// otherwise it lists the PKCS#12 files. It returns the token's SOFTHSM2_CONF ("" without one).
func (a *app) demoToken(dir, pkiDir string, step func(demoStep)) ([]keys.Token, string, error) {
	pinEnv := func(k string) string {
		if k == "VBDT_PIN" {
			return testpki.Password
		}
		return a.getenv(k)
	}
	if missing := testpki.SoftHSMMissing(); missing != "" || !keys.PKCS11Supported {
		why := "SoftHSM2 is not installed: missing " + missing
		if !keys.PKCS11Supported {
			why = "this vbdt was built without cgo, so it cannot use PKCS#11 tokens"
		}
		step(demoStep{title: "Test token skipped", note: why + "; the demo goes on with the .p12 files."})
		var toks []keys.Token
		for _, role := range testpki.Signers {
			t, err := a.fileToken(&keysListOptions{}, testpki.FilesFor(pkiDir, role, testpki.RSA).P12)
			if err != nil {
				return nil, "", err
			}
			toks = append(toks, t)
		}
		return toks, "", nil
	}
	hsm, err := testpki.LoadSoftHSM(filepath.Join(dir, "softhsm"), pkiDir, demoToken)
	if err != nil {
		return nil, "", fmt.Errorf("demo: %w", err)
	}
	// The module reads SOFTHSM2_CONF when it is loaded: point this process at the demo token.
	if err := os.Setenv("SOFTHSM2_CONF", hsm.Conf); err != nil {
		return nil, "", err
	}
	step(demoStep{
		title:     fmt.Sprintf("A SoftHSM2 test token %q holding the approver's and the organization's keys", demoToken),
		artifacts: []string{hsm.Conf},
		note:      fmt.Sprintf("User PIN %s. Use it with: export SOFTHSM2_CONF=%s", testpki.Password, hsm.Conf),
	})
	toks, err := keys.ListTokens(hsm.Module, keys.Options{Getenv: pinEnv}, true)
	return toks, hsm.Conf, err
}

func prepareDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return usageErrorf("%s is not empty and was not made by vbdt demo: choose a new folder", dir)
		}
		for _, sub := range []string{"pki", "softhsm", "platform", "nhan-vpcp", "nhan-phan-hoi"} {
			if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by vbdt demo: test keys only\n"), 0o644)
}

func demoConfig(dir, pkiDir string) string {
	abs, _ := filepath.Abs(pkiDir)
	reg, _ := filepath.Abs(filepath.Join(dir, "register.db"))
	return fmt.Sprintf(`# Made by vbdt demo: a TEST agency with TEST keys. Never use it for real documents.
agency:
  name: "Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)"
  organ_id: "000.00.00.H99"
  abbreviation: "UBND"
  place: "Hà Nội"
  time_zone: "Asia/Ho_Chi_Minh"
keys:
  approver:
    uri: "file:%[1]s/approver-rsa.p12"
    pin_source: "env:VBDT_DEMO_PIN"
  organization:
    uri: "file:%[1]s/organization-rsa.p12"
    pin_source: "env:VBDT_DEMO_PIN"
trust:
  anchors: ["%[1]s/root-rsa.crt.pem"]
register: "%[2]s"
numbering:
  unit: "VP"
`, abs, reg)
}

type demoPaths struct{ draft, approved, numbered, issued, foreign, foreignNumbered string }

// demoDocuments drafts a decision and takes it through the approver's signature, the clerk's
// number and the organization's signature, leaving each stage in dir.
func (a *app) demoDocuments(dir string, token bool, tsaURL string, step func(demoStep)) (demoPaths, error) {
	p := demoPaths{draft: filepath.Join(dir, "1-du-thao.pdf"), approved: filepath.Join(dir, "2-da-ky-duyet.pdf"),
		numbered: filepath.Join(dir, "3-da-cap-so.pdf"), issued: filepath.Join(dir, "4-ban-hanh.pdf"),
		foreign: filepath.Join(dir, "5-ky-bang-cong-cu-khac.pdf"), foreignNumbered: filepath.Join(dir, "6-cong-cu-khac-da-cap-so.pdf")}
	face, err := fonts.Find("")
	if err != nil {
		return p, err
	}
	draft, err := pdf.Sample(1, face.Regular, 3)
	if err != nil {
		return p, err
	}
	if err := fsutil.WriteFileAtomic(p.draft, draft, 0o644); err != nil {
		return p, err
	}
	sigPNG, sealPNG, err := testpki.WriteImages(dir)
	if err != nil {
		return p, err
	}
	step(demoStep{title: "A drafted decision, with the approver's signature image and the agency's seal (TEST)",
		artifacts: []string{p.draft, sigPNG, sealPNG}})

	pkiDir := filepath.Join(dir, "pki")
	approverKey := "file:" + testpki.FilesFor(pkiDir, testpki.Approver, testpki.RSA).P12
	orgKey := "file:" + testpki.FilesFor(pkiDir, testpki.Organization, testpki.RSA).P12
	if token {
		orgKey = "pkcs11:token=" + demoToken + ";object=organization-rsa?module-path=" + testpki.SoftHSMModule()
	}
	pinFile := filepath.Join(dir, "test-pin.txt") // the TEST keys' PIN, as a pin source
	if err := os.WriteFile(pinFile, []byte(testpki.Password+"\n"), 0o600); err != nil {
		return p, err
	}
	signAs := func(key string, o signOptions, in, out string) error {
		o.key, o.output, o.jobs, o.hash = key, out, 1, "sha256"
		o.keyAccessOptions.pinSource = "file:" + pinFile
		cmd := &cobra.Command{}
		cmd.SetContext(context.Background())
		return a.nested().runSign(cmd, &o, []string{in})
	}
	step(demoStep{title: "The approver signs (vbdt sign --role approver --tsa): blue signature, empty number and date fields and an empty field for the organization's seal, DocMDP P=2, timestamped (B-T)",
		artifacts: []string{p.approved}})
	if err := signAs(approverKey, signOptions{role: "approver", image: sigPNG, seal: sealPNG, tsa: tsaURL}, p.draft, p.approved); err != nil {
		return p, fmt.Errorf("demo: approver: %w", err)
	}
	step(demoStep{title: "The clerk gives it the next number and the date, and registers it (vbdt number stamp)",
		artifacts: []string{p.numbered, filepath.Join(dir, "register.db")}})
	if err := a.nested().runStamp(context.Background(), &stampOptions{output: p.numbered, issueOptions: issueOptions{docType: "QĐ",
		signer: "Nguyễn Văn Ấn (TEST)", subject: "Về việc ban hành Quy chế làm việc của Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)",
		recipients: []string{"Như Điều 3;", "Lưu: VT."}, registerOptions: registerOptions{user: "văn thư (demo)"}}}, p.approved); err != nil {
		return p, fmt.Errorf("demo: numbering: %w", err)
	}
	where := "from the .p12 file"
	if token {
		where = "with its key on the SoftHSM2 token"
	}
	step(demoStep{title: "The organization seals it (vbdt sign --role issuer --level B-LTA), " + where + ": the red seal in the field the approver prepared, over the signature's left third (strict validators accept only signing fields that existed before a certification); then the validation data of both signatures (certificates and OCSP responses, in the /DSS) and a document timestamp: a long-term signature",
		artifacts: []string{p.issued}})
	if err := signAs(orgKey, signOptions{role: "issuer", seal: sealPNG, tsa: tsaURL, level: "B-LTA",
		evidence: evidenceOptions{cacheDir: filepath.Join(dir, "evidence-cache"), allowPrivate: true}}, p.numbered, p.issued); err != nil {
		return p, fmt.Errorf("demo: organization: %w", err)
	}
	step(demoStep{title: "A decision approved with another tool has no number fields: vbdt number stamp shows the number in two new, unsigned signature fields, which its approval signature permits",
		artifacts: []string{p.foreign, p.foreignNumbered}})
	if err := signAs(approverKey, signOptions{role: "plain"}, p.draft, p.foreign); err != nil {
		return p, fmt.Errorf("demo: approval by another tool: %w", err)
	}
	if err := a.nested().runStamp(context.Background(), &stampOptions{output: p.foreignNumbered, issueOptions: issueOptions{docType: "QĐ",
		signer: "Nguyễn Văn Ấn (TEST)", subject: "Về việc thử nghiệm văn bản ký bằng công cụ khác (TEST)",
		registerOptions: registerOptions{user: "văn thư (demo)"}}}, p.foreign); err != nil {
		return p, fmt.Errorf("demo: numbering the other tool's document: %w", err)
	}
	return p, nil
}

// demoVerify verifies the issued document as the receiving clerk does, with the Decree 30
// profile, shows the report and writes it as HTML: the demo fails if its own document does not
// pass.
func (a *app) demoVerify(dir, issued string, step func(demoStep)) error {
	report := filepath.Join(dir, "7-bao-cao-xac-minh.html")
	step(demoStep{title: "The receiving clerk verifies it (vbdt verify --profile nd30 --html): integrity, trust in the test root of trust.anchors, every change after each signature, and Decree 30's order of steps",
		artifacts: []string{report}})
	opts, err := a.verifyOptions(&verifyOptions{profile: verify.ProfileND30, offline: true, minRSA: 2048})
	if err != nil {
		return err
	}
	rep, err := verify.File(context.Background(), issued, opts)
	if err != nil {
		return fmt.Errorf("demo: verify: %w", err)
	}
	if !a.ui.JSON {
		a.printReport(rep)
	}
	if err := fsutil.Replace(report, 0o644, func(f *os.File) error { return verify.WriteHTML(f, []*verify.Report{rep}) }); err != nil {
		return err
	}
	if rep.Indication != verify.TotalPassed {
		return fmt.Errorf("demo: the issued document does not verify: %s %s", rep.SubIndication, rep.Reason)
	}
	step(demoStep{title: "The archivist checks how long its evidence lasts (vbdt ltv status): each signature's level and when to renew (vbdt ltv renew)"})
	if !a.ui.JSON {
		a.nested().printLTVStatus(ltvStatuses(rep))
	}
	for _, st := range ltvStatuses(rep) {
		if st.Kind == "signature" && st.Level != string(sign.LevelLTA) {
			return fmt.Errorf("demo: signature %s of the issued document is %s, not B-LTA", st.Field, st.Level)
		}
	}
	return nil
}

// demoConvert converts a small scanned file (hồ sơ) to PDF/A: a colour JPEG page, a two-page
// bilevel G4 TIFF and a colour PNG page, made up for the demo.
func (a *app) demoConvert(dir string, step func(demoStep)) error {
	code := "H99.2026.01/QĐ-UBND"
	scans, err := testpki.WriteDossier(filepath.Join(dir, "scans"), convert.EscapeCode(code), 200)
	if err != nil {
		return fmt.Errorf("demo: scans: %w", err)
	}
	out := filepath.Join(dir, "pdfa")
	step(demoStep{title: "A scanned paper file (hồ sơ " + code + ") becomes archival PDF/A-2b (vbdt convert): the JPEG and the one-strip G4 page go in as scanned, the many-strip G4 page is re-encoded to G4 losslessly; a JSON sidecar per document and a manifest",
		artifacts: []string{scans, filepath.Join(out, convert.FileName(code, 1)), filepath.Join(out, "manifest.csv")},
		note:      "The bilevel TIFF is reported not colour, as Decree 30 asks for colour: it is converted as it is, never \"upgraded\"."})
	if err := a.nested().runConvert(context.Background(), []string{scans}, &convertOptions{out: out, pdfa: string(convert.PDFA2B),
		profile: string(convert.ProfileND30), jobs: 1, explain: true}); err != nil {
		return err
	}
	qa := filepath.Join(dir, "8-kiem-tra-so-hoa.html")
	step(demoStep{title: "The archivist's QA view (vbdt convert report --html): a thumbnail of every page with its flags",
		artifacts: []string{qa}})
	return a.nested().runConvertReport(out, qa)
}

// demoStepResult is an item's result of vbdt demo: one step of the lifecycle.
type demoStepResult struct {
	Step      int      `json:"step"`
	Title     string   `json:"title"`
	Artifacts []string `json:"artifacts,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// demoTotals is the summary's result of vbdt demo.
type demoTotals struct {
	Dir string `json:"dir"`
}

// nested is the app the demo runs its commands with: in JSON mode their own messages are left
// out, so that the demo's output is its steps and one summary.
func (a *app) nested() *app {
	if !a.ui.JSON {
		return a
	}
	c := *a
	c.ui = ui.New(ui.Streams{In: a.streams.In, Out: io.Discard, Err: io.Discard}, a.ui.Options)
	return &c
}

// demoEnvelope packs the issued document into an edXML envelope for another agency, signed
// with the organization's key, validates it, and sends it through a local stand-in of the
// exchange platform, where the receiver answers it (status 03).
func (a *app) demoEnvelope(dir, issued string, step func(demoStep)) error {
	env, status := filepath.Join(dir, "9-phong-bi.edxml"), filepath.Join(dir, "10-trang-thai-03.edxml")
	pin := keyAccessOptions{pinSource: "file:" + filepath.Join(dir, "test-pin.txt")}
	orgKey := "file:" + testpki.FilesFor(filepath.Join(dir, "pki"), testpki.Organization, testpki.RSA).P12
	step(demoStep{title: "The clerk sends it to the Government Office (vbdt envelope pack --from-pdf --sign): an edXML envelope (QCVN 102:2016) whose header comes from the register, signed with XML-DSig",
		artifacts: []string{env}})
	ctx := context.Background()
	if err := a.nested().runEnvelopePack(ctx, []string{issued}, &envelopePackOptions{out: env, kind: "new", fromPDF: true, force: true,
		to: []string{"000.00.00.G22"}, key: orgKey, keyAccessOptions: pin, registerOptions: registerOptions{user: "văn thư (demo)"}}); err != nil {
		return fmt.Errorf("demo: envelope: %w", err)
	}
	step(demoStep{title: "The integrator's check (vbdt envelope validate): structure, fields, manifest, the envelope's signature and the PDF's"})
	if err := a.nested().runEnvelopeValidate(ctx, []string{env}, &envelopeValidateOptions{strict: true}); err != nil {
		return fmt.Errorf("demo: the envelope does not validate: %w", err)
	}
	return a.demoExchange(ctx, dir, env, status, step)
}

// demoExchange runs a local stand-in of the national exchange platform on loopback, sends the
// envelope from the test agency to the Government Office (a second TEST system), receives it
// there, answers with a status 03 envelope, and receives that back.
func (a *app) demoExchange(ctx context.Context, dir, env, status string, step func(demoStep)) error {
	const sender, receiver = "000.00.00.H99", "000.00.00.G22"
	secrets := map[string]string{sender: "demo-secret-h99 (TEST)", receiver: "demo-secret-g22 (TEST)"}
	srv, err := exchange.NewServer(exchange.ServerConfig{Dir: filepath.Join(dir, "platform"),
		Systems:   []exchange.System{{ID: sender, Secret: secrets[sender]}, {ID: receiver, Secret: secrets[receiver]}},
		Directory: []exchange.Agency{{ID: "1", Code: sender, Name: "Ủy ban nhân dân tỉnh Thử Nghiệm (TEST)"}, {ID: "2", Code: receiver, Name: "Văn phòng Chính phủ (TEST)"}}})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	client := func(system string) (*exchange.Client, error) {
		return exchange.New(exchange.Config{Endpoint: url, SystemID: system, Secret: secrets[system]})
	}
	h99, err := client(sender)
	if err != nil {
		return err
	}
	g22, err := client(receiver)
	if err != nil {
		return err
	}
	inbox, answers := filepath.Join(dir, "nhan-vpcp"), filepath.Join(dir, "nhan-phan-hoi")
	step(demoStep{title: "It travels through the national exchange platform — here a local stand-in on " + url + " (vbdt envelope serve) — signed with the system's secret (vbdt envelope send)"})
	docID, err := h99.Send(ctx, env, exchange.MessageEdoc, nil)
	if err != nil {
		return fmt.Errorf("demo: send: %w", err)
	}
	list, err := g22.Received(ctx, exchange.MessageEdoc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		return err
	}
	got := exchange.ReceiveAll(ctx, g22, list, inbox, 2)
	if len(got) != 1 || got[0].Err != nil {
		return fmt.Errorf("demo: receive: %+v", got)
	}
	step(demoStep{title: "The Government Office's system receives it (vbdt envelope receive): written to disk, then acknowledged done",
		artifacts: []string{got[0].Path}})
	step(demoStep{title: "Its clerk accepts and registers it, and answers (vbdt envelope status --code 03): the answer goes back through the platform",
		artifacts: []string{status}})
	orig, err := readEnvelopeHeader(got[0].Path)
	if err != nil {
		return err
	}
	st := envelope.Status(orig, envelope.Organization{OrganID: receiver, OrganizationInCharge: "Văn phòng Chính phủ (TEST)", OrganName: "Văn phòng Chính phủ (TEST)"},
		"03", envelope.StatusCodes["03"], &envelope.StaffInfo{Department: "Phòng Văn thư (TEST)", Staff: "Văn thư (TEST)"}, time.Now())
	if err := fsutil.Replace(status, 0o644, func(f *os.File) error { return envelope.Write(f, st, nil) }); err != nil {
		return err
	}
	if _, err := g22.Send(ctx, status, exchange.MessageStatus, nil); err != nil {
		return fmt.Errorf("demo: send the status: %w", err)
	}
	back, err := h99.Received(ctx, exchange.MessageStatus)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(answers, 0o755); err != nil {
		return err
	}
	if r := exchange.ReceiveAll(ctx, h99, back, answers, 1); len(r) != 1 || r[0].Err != nil {
		return fmt.Errorf("demo: receive the status: %+v", r)
	}
	rows, err := h99.Sent(ctx, exchange.MessageEdoc, docID)
	if err != nil {
		return err
	}
	note := ""
	for _, r := range rows {
		note += fmt.Sprintf("%s → %s: %s (%s)", r.SenderDocID, r.ToCode, r.ReceiveStatus, r.ReceiveStatusDesc)
	}
	step(demoStep{title: "The sender sees the delivery (vbdt envelope sent) and has the answer (status 03) in " + answers, note: note})
	return nil
}

func readEnvelopeHeader(path string) (*envelope.Envelope, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return envelope.Read(f, envelope.ReadOptions{HeaderOnly: true})
}
