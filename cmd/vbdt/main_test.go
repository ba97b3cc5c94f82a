package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/vbdt/vbdt/verify"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite"

	"github.com/vbdt/vbdt/internal/cli"
	"github.com/vbdt/vbdt/internal/fonts"
	"github.com/vbdt/vbdt/internal/pdf"
	"github.com/vbdt/vbdt/internal/testpki"
	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// exitFileVar names a file where the test build of vbdt records its exit code, so that scripts
// can assert the exact code with `exitcode N`.
const exitFileVar = "VBDT_TEST_EXIT_FILE"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"vbdt": func() {
			code := cli.Main(cli.BuildInfo{Version: "v0.0.0-test"})
			if f := os.Getenv(exitFileVar); f != "" {
				os.WriteFile(f, []byte(strconv.Itoa(code)), 0o644)
			}
			os.Exit(code)
		},
	})
}

var updateShapes = flag.Bool("update", false, "rewrite testdata/json/*.shape from the scripts' output")

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("NO_COLOR", "1")
			e.Setenv("HOME", filepath.Join(e.WorkDir, "home"))
			e.Setenv(exitFileVar, filepath.Join(e.WorkDir, ".exitcode"))
			e.Setenv("SOFTHSM_MODULE", testpki.SoftHSMModule())
			shared, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared"))
			e.Setenv("SHARED", shared) // interop samples beside the repository, never copied into it
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "interop" { // ../shared/interop beside the repository
				_, err := os.Stat(filepath.Join("..", "..", "..", "shared", "interop", "edxml"))
				if err != nil && os.Getenv("CI") != "" {
					return false, fmt.Errorf("CI must have ../shared/interop: %v", err)
				}
				return err == nil, nil
			}
			if cond == "lastdayofyear" { // in the agency's zone, tomorrow lies in the next year
				now := time.Now().In(hoChiMinh)
				return now.Month() == time.December && now.Day() == 31, nil
			}
			if cond == "softhsm" {
				m := testpki.SoftHSMMissing()
				if m != "" && os.Getenv("CI") != "" {
					return false, fmt.Errorf("CI must have SoftHSM2: missing %s", m)
				}
				return m == "", nil
			}
			return false, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":  cmdExitCode,
			"testpki":   cmdTestPKI,
			"softhsm":   cmdSoftHSM,
			"jsonlines": cmdJSONLines,
			"testdoc":   cmdTestDoc,
			"tsa":       cmdTSA,
			"strict":    cmdStrict,
			"hangtsa":   cmdHangTSA,
			"jsonshape": cmdJSONShape,
			"dates":     cmdDates,
			"foreigndb": cmdForeignDB,
			"copies":    cmdCopies,
			"sigcount":  cmdSigCount,
			"corrupt":   cmdCorrupt,
			"edit":      cmdEdit,
			"truncate":  cmdTruncate,
			"envfile":   cmdEnvFile,
			"globcp":    cmdGlobCp,
			"scans":     cmdScans,
			"waitfiles": cmdWaitFiles,
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
		},
	})
}

// exitcode N: the last vbdt run exited with N.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: exitcode N")
	}
	got := strings.TrimSpace(ts.ReadFile(ts.Getenv(exitFileVar)))
	if (got == args[0]) == neg {
		ts.Fatalf("vbdt exited with %s, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
	}
}

// testpki DIR: write the test PKI.
func cmdTestPKI(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: testpki DIR")
	}
	if _, err := testpki.WriteAll(ts.MkAbs(args[0]), time.Now()); err != nil {
		ts.Fatalf("%v", err)
	}
}

// softhsm TOKENDIR PKIDIR LABEL: load the test signers into a SoftHSM2 token and point
// SOFTHSM2_CONF at it. Scripts guard it with [!softhsm] skip.
func cmdSoftHSM(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: softhsm TOKENDIR PKIDIR LABEL")
	}
	hsm, err := testpki.LoadSoftHSM(ts.MkAbs(args[0]), ts.MkAbs(args[1]), args[2])
	if err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Setenv("SOFTHSM2_CONF", hsm.Conf)
}

// jsonlines stdout|stderr|FILE: every line is a JSON object with a message_type.
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: jsonlines stdout|stderr|FILE")
	}
	text := ts.ReadFile(args[0])
	if strings.TrimSpace(text) == "" {
		ts.Fatalf("%s is empty", args[0])
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			ts.Fatalf("%s: not JSON: %q: %v", args[0], sc.Text(), err)
		}
		if mt, _ := m["message_type"].(string); mt == "" {
			ts.Fatalf("%s: no message_type in %q", args[0], sc.Text())
		}
	}
}

// testdoc DIR: write a one-page decision (decision.pdf), a signature image and a seal into DIR.
func cmdTestDoc(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: testdoc DIR")
	}
	dir := ts.MkAbs(args[0])
	os.MkdirAll(dir, 0o755)
	face, err := fonts.Find("")
	if err != nil {
		ts.Fatalf("%v", err)
	}
	data, err := pdf.Sample(1, face.Regular, 3)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Check(os.WriteFile(filepath.Join(dir, "decision.pdf"), data, 0o644))
	_, _, err = testpki.WriteImages(dir)
	ts.Check(err)
}

// tsa PKIDIR: start a loopback TSA (openssl ts) for the script and set TSA_URL.
func cmdTSA(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: tsa PKIDIR")
	}
	t, err := testenv.StartTSA(ts.MkAbs(args[0]), testpki.RSA)
	ts.Check(err)
	ts.Defer(t.Close)
	ts.Setenv("TSA_URL", t.URL)
}

// cmdHangTSA: hangtsa — starts a time-stamping authority that never answers (HANG_TSA_URL) and
// waits, when run as "hangtsa wait", until a request has reached it: a signer is then blocked
// in the network call, where an interruption must reach it.
func cmdHangTSA(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 1 && args[0] == "wait" {
		select {
		case <-hangArrived:
		case <-time.After(time.Minute):
			ts.Fatalf("no request reached the hanging TSA")
		}
		return
	}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hangArrived <- struct{}{}:
		default:
		}
		select { // until the client gives up, or the script ends
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	ts.Defer(func() { close(stop); srv.Close() })
	ts.Setenv("HANG_TSA_URL", srv.URL)
}

var hangArrived = make(chan struct{}, 1)

// cmdStrict: strict FILE N — FILE has N signatures, each intact and followed only by changes
// it permits under the strict (whitelist) reading of DocMDP that EU DSS and pyHanko apply;
// ! strict: some signature is not.
func cmdStrict(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: strict FILE N")
	}
	reports, err := verify.AnalyzeChanges(ts.MkAbs(args[0]))
	ts.Check(err)
	if strconv.Itoa(len(reports)) != args[1] {
		ts.Fatalf("%s: %d signatures, want %s", args[0], len(reports), args[1])
	}
	var refused []string
	for _, r := range reports {
		if !r.Allowed {
			refused = append(refused, fmt.Sprintf("signature %s: %s not permitted: %v", r.Field, r.Worst, r.Problems))
		}
	}
	switch {
	case neg && len(refused) == 0:
		ts.Fatalf("%s: every signature permits what follows it", args[0])
	case !neg && len(refused) > 0:
		ts.Fatalf("%s: %s", args[0], strings.Join(refused, "; "))
	}
}

// cmdJSONShape: jsonshape stdout|stderr|FILE NAME — the shape of the JSON Lines (each distinct
// message's type and the paths and JSON types of its keys, values left out) equals the golden
// testdata/json/NAME.shape: keys may be added, never renamed or retyped without this failing.
// go test ./cmd/vbdt -update rewrites the golden files.
func cmdJSONShape(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonshape stdout|stderr|FILE NAME")
	}
	var shapes []string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n") {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			ts.Fatalf("%s: not JSON: %q", args[0], line)
		}
		var paths []string
		shapeOf("", v, &paths)
		sort.Strings(paths)
		sh := strings.Join(paths, " ")
		if !seen[sh] {
			seen[sh] = true
			shapes = append(shapes, sh)
		}
	}
	sort.Strings(shapes) // the order of a batch's items depends on its workers
	got := strings.Join(shapes, "\n") + "\n"
	golden := filepath.Join("testdata", "json", args[1]+".shape")
	if *updateShapes {
		ts.Check(os.MkdirAll(filepath.Dir(golden), 0o755))
		ts.Check(os.WriteFile(golden, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	ts.Check(err)
	if string(want) != got {
		ts.Fatalf("the JSON of %s changed shape (go test ./cmd/vbdt -update if meant, and update docs/json.md):\n--- want\n%s--- got\n%s", args[1], want, got)
	}
}

// shapeOf lists the key paths of v with their JSON types: message_type=item result.code:string.
func shapeOf(path string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if k == "message_type" {
				*out = append(*out, "message_type="+fmt.Sprint(val))
				continue
			}
			shapeOf(p, val, out)
		}
	case []any:
		seen := map[string]bool{}
		for _, e := range x {
			var sub []string
			shapeOf(path+"[]", e, &sub)
			for _, s := range sub {
				if !seen[s] {
					seen[s] = true
					*out = append(*out, s)
				}
			}
		}
		if len(x) == 0 {
			*out = append(*out, path+":array")
		}
	case string:
		*out = append(*out, path+":string")
	case float64:
		*out = append(*out, path+":number")
	case bool:
		*out = append(*out, path+":bool")
	case nil:
		*out = append(*out, path+":null")
	}
}

var hoChiMinh = time.FixedZone("ICT", 7*3600)

// cmdDates: dates — sets TODAY and TOMORROW (yyyy-mm-dd in Asia/Ho_Chi_Minh, the register's
// zone).
func cmdDates(ts *testscript.TestScript, neg bool, args []string) {
	now := time.Now().In(hoChiMinh)
	ts.Setenv("TODAY", now.Format("2006-01-02"))
	ts.Setenv("TOMORROW", now.AddDate(0, 0, 1).Format("2006-01-02"))
}

// cmdForeignDB: foreigndb FILE — an SQLite database that is not a vbdt register.
func cmdForeignDB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: foreigndb FILE")
	}
	db, err := sql.Open("sqlite", ts.MkAbs(args[0]))
	ts.Check(err)
	defer db.Close()
	_, err = db.Exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('1')")
	ts.Check(err)
}

// cmdCopies: copies FILE DIR N — N copies of FILE in DIR (0000.pdf …).
func cmdCopies(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: copies FILE DIR N")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	dir := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dir, 0o755))
	for i := range n {
		ts.Check(os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.pdf", i)), data, 0o640))
	}
}

// cmdCorrupt: corrupt IN OUT — OUT is IN with the minor digit of its %PDF-1.x header changed:
// still a readable PDF, but no longer the bytes any signature signed.
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: corrupt IN OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if !bytes.HasPrefix(data, []byte("%PDF-1.")) {
		ts.Fatalf("%s does not start with %%PDF-1.", args[0])
	}
	data[7] ^= 1
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}

// cmdEdit: edit FILE OLD NEW — the first OLD in FILE becomes NEW (there must be one).
func cmdEdit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: edit FILE OLD NEW")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	if !bytes.Contains(data, []byte(args[1])) {
		ts.Fatalf("%s has no %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), bytes.Replace(data, []byte(args[1]), []byte(args[2]), 1), 0o644))
}

// cmdTruncate: truncate IN OUT N — OUT is the first N bytes of IN.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: truncate IN OUT N")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data[:min(n, len(data))], 0o644))
}

// cmdEnvFile: envfile VAR FILE — waits (30 s at most) for FILE to hold a line, and sets VAR to it.
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: envfile VAR FILE")
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(ts.MkAbs(args[1])); err == nil && len(bytes.TrimSpace(b)) > 0 {
			ts.Setenv(args[0], string(bytes.TrimSpace(b)))
			return
		}
	}
	ts.Fatalf("%s holds nothing after 30 s", args[1])
}

// cmdGlobCp: globcp PATTERN DST — the one file matching PATTERN is copied to DST.
func cmdGlobCp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: globcp PATTERN DST")
	}
	m, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(m) != 1 {
		ts.Fatalf("%s matches %d files, want 1", args[0], len(m))
	}
	data, err := os.ReadFile(m[0])
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}

// cmdScans: scans DIR N — DIR holds N small colour JPEG scans at 200 dpi (TEST content).
func cmdScans(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: scans DIR N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	page := testpki.ScanPage(40, 7) // a small sheet: the pixels are not what is tested
	for i := range n {
		ts.Check(testpki.WriteJPEG(filepath.Join(dir, fmt.Sprintf("%04d.jpg", i)), page, 200))
	}
}

// cmdWaitFiles: waitfiles DIR N — wait (30 s at most) until DIR holds N PDFs: a batch running
// in the background is then part way.
func cmdWaitFiles(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitfiles DIR N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "*.pdf")); len(files) >= n {
			return
		}
	}
	ts.Fatalf("%s: fewer than %d PDFs after 30 s", args[0], n)
}

// cmdSigCount: sigcount DIR N — every PDF in DIR has exactly N signatures, each intact.
func cmdSigCount(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: sigcount DIR N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	files, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "*.pdf"))
	ts.Check(err)
	counts := map[int]int{}
	for _, f := range files {
		checks, err := verify.CheckFile(f)
		ts.Check(err)
		for _, c := range checks {
			if !c.Intact {
				ts.Fatalf("%s: signature %s: %s", f, c.Field, c.Problem)
			}
		}
		counts[len(checks)]++
	}
	if counts[want] != len(files) {
		ts.Fatalf("signatures per file: %v (files by count), want %d each", counts, want)
	}
}
