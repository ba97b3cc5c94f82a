package exchange

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	clientTestSystem = "000.00.00.G22"
	clientTestSecret = "c2VjcmV0LW9mLXRoZS10ZXN0cw-NOT-REAL"
	clientTestDocID  = "68ee1c50c2dcb14db773f484"
	clientTestXML    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML:edXMLEnvelope xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><Subject>Công văn số 1</Subject></edXML:edXMLEnvelope>\n"
)

// clientRec is a request the fake platform received.
type clientRec struct {
	method, path, query string
	header              http.Header
	body                []byte
	contentLength       int64
	transferEncoding    []string
	params              Params
	verifyErr           error
}

// clientFake is a small stand-in of the platform: it records and verifies every request, then
// answers with answer (or the default answers of clientDefaultAnswer).
type clientFake struct {
	mu     sync.Mutex
	recs   []clientRec
	answer func(w http.ResponseWriter, r *http.Request, attempt int)
}

func (f *clientFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ps, err := VerifyHeaders(r.Header, func(id string) string {
		if id == clientTestSystem {
			return clientTestSecret
		}
		return ""
	})
	f.mu.Lock()
	f.recs = append(f.recs, clientRec{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body, r.ContentLength, r.TransferEncoding, ps, err})
	n := len(f.recs)
	f.mu.Unlock()
	if f.answer != nil {
		f.answer(w, r, n)
		return
	}
	clientDefaultAnswer(w, r)
}

func (f *clientFake) requests() []clientRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.recs)
}

func clientOK(extra string) string {
	return `{"status":"OK","ErrorCode":"0","ErrorDesc":"Thanh cong"` + extra + `}`
}

func clientDefaultAnswer(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PathAgencies:
		io.WriteString(w, clientOK(`,"data":[{"id":"1","pid":"0","code":"000.00.00.H41","name":"UBND Tỉnh Nghệ An","mail":"a@nghean.gov.vn","oldCode":"H41"},{"id":2,"pid":1,"code":"000.00.01.H41","name":"Sở Nội vụ","mail":null,"oldCode":""}]`))
	case PathSend:
		io.WriteString(w, clientOK(`,"DocId":"68edb8c8c2dcb14db773ce44"`))
	case PathReceived:
		io.WriteString(w, clientOK(`,"data":[{"docId":"`+clientTestDocID+`","serviceType":"eDoc","messageType":"edoc","created_time":"2025-10-14 16:42:08","updated_time":"2025-10-14 16:42:08","from":"000.00.00.G22","to":"000.00.00.H41","status":"initial","status_desc":"Moi"}]`))
	case PathSent:
		io.WriteString(w, clientOK(`,"data":[{"serviceType":"eDoc","senderDocId":"68edb8c8c2dcb14db773ce44","receiverDocId":"`+clientTestDocID+`","fromCode":"000.00.00.G22","toCode":"000.00.00.H41","title":"Công văn","notation":"1/UBND","messageType":"edoc","sentTime":"t1","receivedTime":"t2","sendStatus":1,"sendStatusDesc":"ok","receiveStatus":"done","receiveStatusDesc":"Da nhan"}]`))
	case PathGetEdoc:
		io.WriteString(w, clientOK(`,"data":"`+base64.StdEncoding.EncodeToString([]byte(clientTestXML))+`"`))
	case PathDownloadEdoc:
		io.WriteString(w, clientTestXML)
	case PathUpdateStatus:
		io.WriteString(w, clientOK(""))
	case PathCountEdoc:
		io.WriteString(w, clientOK(`,"count":2`))
	case PathCountStatus:
		io.WriteString(w, clientOK(`,"count":"5"`))
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"status":"FAIL","ErrorCode":"404","ErrorDesc":"no such call"}`)
	}
}

// clientServe starts a fake platform; answer nil gives the default answers.
func clientServe(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, attempt int)) (*clientFake, *httptest.Server) {
	f := &clientFake{answer: answer}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// clientClock is a Now that advances 1.001 s per reading and remembers its readings.
type clientClock struct {
	mu    sync.Mutex
	t     time.Time
	reads []time.Time
}

func (c *clientClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(1001 * time.Millisecond)
	c.reads = append(c.reads, c.t)
	return c.t
}

func clientNewTest(t *testing.T, endpoint string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{Endpoint: endpoint, SystemID: clientTestSystem, Secret: clientTestSecret}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := c.http.Transport.(*http.Transport); ok {
		t.Cleanup(tr.CloseIdleConnections)
	}
	return c
}

// clientNoSecret fails when an error shows the secret.
func clientNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if strings.Contains(s, clientTestSecret) {
			t.Errorf("an error shows the secret: %s", s)
		}
	}
}

// clientTestFile writes an edXML whose SHA-256 has a byte below 0x10, so that the SDK's
// unpadded hash-file differs from the usual hex.
func clientTestFile(t *testing.T) (string, []byte) {
	t.Helper()
	for i := 0; ; i++ {
		data := []byte(clientTestXML + fmt.Sprintf("<!-- %d -->", i))
		sum := sha256.Sum256(data)
		if len(HashFile(sum[:])) < 64 {
			path := filepath.Join(t.TempDir(), "doc.edxml")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return path, data
		}
	}
}

// The header set, method, path, Content-Type and body of every call, all on one client (so
// that nothing accumulates between calls), each request verified with the secret.
func TestClientHeaderSets(t *testing.T) {
	f, srv := clientServe(t, nil)
	clock := &clientClock{t: time.Date(2025, 10, 24, 10, 15, 0, 0, clientZone)}
	c := clientNewTest(t, srv.URL+"/", func(cfg *Config) { cfg.Now = clock.now })
	ctx := context.Background()
	path, data := clientTestFile(t)
	sum := sha256.Sum256(data)
	hashFile := HashFile(sum[:])
	if hashFile == hex.EncodeToString(sum[:]) {
		t.Fatal("the test file's hash-file should be unpadded")
	}
	type want struct {
		method, path, contentType, keys, body string
		params                                map[string]string
	}
	calls := []struct {
		name string
		run  func() error
		want want
	}{
		{"getAgenciesList", func() error {
			var got []Agency
			err := c.Agencies(ctx, func(a Agency) error { got = append(got, a); return nil })
			if err == nil && (len(got) != 2 || got[0].Name != "UBND Tỉnh Nghệ An" || got[1].ID != "2" || got[1].PID != "1" || got[1].Mail != "") {
				t.Errorf("agencies %+v", got)
			}
			return err
		}, want{"POST", PathAgencies, ContentJSON, "systemid;timestamp;Content-Type", "", nil}},
		{"sendEdoc", func() error {
			id, err := c.Send(ctx, path, MessageEdoc, nil)
			if err == nil && id != "68edb8c8c2dcb14db773ce44" {
				t.Errorf("DocId %q", id)
			}
			return err
		}, want{"POST", PathSend, ContentBinary, "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type", string(data) + "\r\n",
			map[string]string{"servicetype": "eDoc", "messagetype": "edoc", "hash-file": hashFile, "from": clientTestSystem}}},
		{"sendEdoc to", func() error {
			_, err := c.Send(ctx, path, MessageStatus, []string{"000.00.00.H41", "000.00.00.H42"})
			return err
		}, want{"POST", PathSend, ContentBinary, "systemid;servicetype;messagetype;hash-file;from;to;timestamp;Content-Type", string(data) + "\r\n",
			map[string]string{"servicetype": "eDoc", "messagetype": "status", "hash-file": hashFile, "from": clientTestSystem, "to": `["000.00.00.H41","000.00.00.H42"]`}}},
		{"getReceivedEdocList", func() error {
			got, err := c.Received(ctx, MessageStatus)
			if err == nil && (len(got) != 1 || got[0].DocID != clientTestDocID || got[0].StatusDesc != "Moi") {
				t.Errorf("received %+v", got)
			}
			return err
		}, want{"POST", PathReceived, ContentJSON, "systemid;servicetype;messagetype;timestamp;Content-Type", "",
			map[string]string{"servicetype": "eDoc", "messagetype": "status"}}},
		{"getSentEdocList", func() error {
			got, err := c.Sent(ctx, MessageEdoc, "")
			if err == nil && (len(got) != 1 || got[0].SendStatus != "1" || got[0].Title != "Công văn" || got[0].ReceiveStatusDesc != "Da nhan") {
				t.Errorf("sent %+v", got)
			}
			return err
		}, want{"POST", PathSent, ContentJSON, "systemid;servicetype;messagetype;timestamp;Content-Type", "",
			map[string]string{"servicetype": "eDoc", "messagetype": "edoc"}}},
		{"getSentEdocList docId", func() error {
			_, err := c.Sent(ctx, MessageEdoc, "68edb8c8c2dcb14db773ce44")
			return err
		}, want{"POST", PathSent, ContentJSON, "systemid;servicetype;messagetype;docId;timestamp;Content-Type", "",
			map[string]string{"servicetype": "eDoc", "messagetype": "edoc", "docId": "68edb8c8c2dcb14db773ce44"}}},
		{"getEdoc", func() error {
			doc, err := c.GetEdoc(ctx, clientTestDocID)
			if err == nil && string(doc) != clientTestXML {
				t.Errorf("getEdoc %q", doc)
			}
			return err
		}, want{"POST", PathGetEdoc, ContentJSON, "systemid;docId;filePath;timestamp;Content-Type", "{}",
			map[string]string{"docId": clientTestDocID, "filePath": "xml"}}},
		{"downloadEdoc", func() error {
			var b bytes.Buffer
			n, err := c.Download(ctx, clientTestDocID, &b)
			if err == nil && (b.String() != clientTestXML || n != int64(len(clientTestXML))) {
				t.Errorf("download %d %q", n, b.String())
			}
			return err
		}, want{"GET", PathDownloadEdoc, ContentJSON, "systemid;docId;filePath;timestamp;Content-Type", "",
			map[string]string{"docId": clientTestDocID, "filePath": "xml"}}},
		{"updateStatus", func() error { return c.UpdateStatus(ctx, clientTestDocID, AckDone) },
			want{"POST", PathUpdateStatus, ContentJSON, "systemid;docId;timestamp;Content-Type;status", "{}",
				map[string]string{"docId": clientTestDocID, "status": "done"}}},
		{"countReceiveEdoc", func() error {
			n, err := c.CountReceived(ctx, MessageEdoc)
			if err == nil && n != 2 {
				t.Errorf("count %d", n)
			}
			return err
		}, want{"POST", PathCountEdoc, ContentJSON, "systemid;timestamp;Content-Type", "{}", nil}},
		{"countReceiveStatus", func() error {
			n, err := c.CountReceived(ctx, MessageStatus)
			if err == nil && n != 5 {
				t.Errorf("count %d", n)
			}
			return err
		}, want{"POST", PathCountStatus, ContentJSON, "systemid;timestamp;Content-Type", "{}", nil}},
	}
	for i, call := range calls {
		if err := call.run(); err != nil {
			t.Fatalf("%s: %v", call.name, err)
		}
		recs := f.requests()
		if len(recs) != i+1 {
			t.Fatalf("%s: %d requests in all, want %d", call.name, len(recs), i+1)
		}
		r, w := recs[i], call.want
		if r.verifyErr != nil {
			t.Errorf("%s: the signature does not verify: %v", call.name, r.verifyErr)
		}
		if r.method != w.method || r.path != w.path || r.query != "" {
			t.Errorf("%s: %s %s?%s, want %s %s", call.name, r.method, r.path, r.query, w.method, w.path)
		}
		if got := r.header.Get(SignHeaderKey); got != w.keys {
			t.Errorf("%s: sign-header-key %q, want %q", call.name, got, w.keys)
		}
		if r.params.KeyList() != w.keys {
			t.Errorf("%s: signed %q, want %q", call.name, r.params.KeyList(), w.keys)
		}
		if got := r.header.Get("Content-Type"); got != w.contentType || r.params.Get("Content-Type") != w.contentType {
			t.Errorf("%s: Content-Type %q (signed %q), want %q", call.name, got, r.params.Get("Content-Type"), w.contentType)
		}
		if string(r.body) != w.body || r.contentLength != int64(len(w.body)) || len(r.transferEncoding) != 0 {
			t.Errorf("%s: body %q (Content-Length %d, %v), want %q", call.name, r.body, r.contentLength, r.transferEncoding, w.body)
		}
		if r.header.Get("User-Agent") != UserAgent || r.header.Get(Prefix+"version") != Version {
			t.Errorf("%s: User-Agent %q, version %q", call.name, r.header.Get("User-Agent"), r.header.Get(Prefix+"version"))
		}
		if r.params.Get("systemid") != clientTestSystem {
			t.Errorf("%s: systemid %q", call.name, r.params.Get("systemid"))
		}
		if got, want := r.params.Get("timestamp"), Timestamp(clock.reads[i]); got != want {
			t.Errorf("%s: timestamp %q, want the fresh %q", call.name, got, want)
		}
		for k, v := range w.params {
			if got := r.params.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", call.name, k, got, v)
			}
		}
		// exactly the signed XroadVnpt- headers, plus the signature's three and the version
		var names, wantNames []string
		for k := range r.header {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(Prefix)) {
				names = append(names, k)
			}
		}
		for _, k := range append(strings.Split(w.keys, ";"), "sign-header-key", "sign-header", "hash-header", "version") {
			wantNames = append(wantNames, textproto.CanonicalMIMEHeaderKey(Prefix+k))
		}
		sort.Strings(names)
		sort.Strings(wantNames)
		if !slices.Equal(names, wantNames) {
			t.Errorf("%s: XroadVnpt headers %v, want %v", call.name, names, wantNames)
		}
		for _, h := range []string{"Authorization", "Cookie", "Expect"} {
			if r.header.Get(h) != "" {
				t.Errorf("%s: sends %s", call.name, h)
			}
		}
	}
	if len(clock.reads) != len(calls) {
		t.Errorf("Now read %d times for %d calls", len(clock.reads), len(calls))
	}

	// the fake's verification is not a formality: another secret does not verify
	other := clientNewTest(t, srv.URL, func(cfg *Config) { cfg.Secret = "another-secret" })
	if err := other.UpdateStatus(ctx, clientTestDocID, AckDone); err != nil {
		t.Fatal(err)
	}
	recs := f.requests()
	if err := recs[len(recs)-1].verifyErr; !errors.Is(err, ErrBadSignature) {
		t.Errorf("a request signed with another secret: %v", err)
	}
}

// The bytes on the wire, read from a raw socket: the SDK's header spelling, Content-Length: 0
// for an empty body, none for the GET, and EXCHANGE.md §2's worked example signature.
func TestClientWire(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type raw struct {
		head []string
		body string
	}
	got := make(chan raw, 8)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				br := bufio.NewReader(conn)
				var r raw
				length := 0
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					if line == "" {
						break
					}
					r.head = append(r.head, line)
					if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
						length, _ = strconv.Atoi(v)
					}
				}
				b := make([]byte, length)
				if _, err := io.ReadFull(br, b); err != nil {
					return
				}
				r.body = string(b)
				got <- r
				answer := clientOK("")
				switch {
				case strings.HasPrefix(r.head[0], "POST "+PathAgencies):
					answer = clientOK(`,"data":[]`)
				case strings.HasPrefix(r.head[0], "POST "+PathSend):
					answer = clientOK(`,"DocId":"x1"`)
				case strings.HasPrefix(r.head[0], "GET "+PathDownloadEdoc):
					answer = clientTestXML
				}
				fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(answer), answer)
			}(conn)
		}
	}()
	c := clientNewTest(t, "http://"+ln.Addr().String(), func(cfg *Config) {
		cfg.Secret = "stub-secret"
		cfg.Now = func() time.Time { return time.Date(2025, 10, 24, 10, 15, 0, 123e6, clientZone) }
	})
	ctx := context.Background()
	path, data := clientTestFile(t)
	sum := sha256.Sum256(data)
	steps := []struct {
		name   string
		run    func() error
		want   []string
		absent []string
		body   string
	}{
		{"getAgenciesList", func() error { return c.Agencies(ctx, func(Agency) error { return nil }) }, []string{
			"POST /getAgenciesList HTTP/1.1",
			"Content-Type: application/json",
			"XroadVnpt-systemid: 000.00.00.G22",
			"XroadVnpt-timestamp: 24102025T101500+0123",
			"XroadVnpt-Content-Type: application/json",
			"XroadVnpt-sign-header-key: systemid;timestamp;Content-Type",
			`XroadVnpt-sign-header: {"XroadVnpt-systemid":"000.00.00.G22","XroadVnpt-timestamp":"24102025T101500+0123","XroadVnpt-Content-Type":"application/json"}`,
			"XroadVnpt-hash-header: 95b3d84c5a6c730ec8ceae2a10dfafbaff37adf5bde2adf2b3a49e73edf20434",
			"User-Agent: JAVASDKAgent/1.0.0 XRoad/VPCP",
			"XroadVnpt-version: 3.0.201608",
			"Content-Length: 0",
		}, []string{"Transfer-Encoding", "Xroadvnpt-"}, ""},
		{"updateStatus", func() error { return c.UpdateStatus(ctx, clientTestDocID, AckDone) }, []string{
			"POST /updateStatus HTTP/1.1",
			"XroadVnpt-docId: " + clientTestDocID,
			"XroadVnpt-status: done",
			"XroadVnpt-sign-header-key: systemid;docId;timestamp;Content-Type;status",
			"Content-Length: 2",
		}, []string{"Transfer-Encoding"}, "{}"},
		{"downloadEdoc", func() error { _, err := c.Download(ctx, clientTestDocID, io.Discard); return err }, []string{
			"GET /downloadEdoc HTTP/1.1",
			"Content-Type: application/json",
			"XroadVnpt-filePath: xml",
			"XroadVnpt-sign-header-key: systemid;docId;filePath;timestamp;Content-Type",
		}, []string{"Content-Length", "Transfer-Encoding"}, ""},
		{"sendEdoc", func() error { _, err := c.Send(ctx, path, MessageEdoc, []string{"000.00.00.H41"}); return err }, []string{
			"POST /sendEdoc HTTP/1.1",
			"Content-Type: application/octet-stream",
			"XroadVnpt-hash-file: " + HashFile(sum[:]),
			`XroadVnpt-to: ["000.00.00.H41"]`,
			"Content-Length: " + strconv.Itoa(len(data)+2),
		}, []string{"Transfer-Encoding"}, string(data) + "\r\n"},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var r raw
		select {
		case r = <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no request", s.name)
		}
		for _, w := range s.want {
			if !slices.Contains(r.head, w) {
				t.Errorf("%s: no line %q in\n%s", s.name, w, strings.Join(r.head, "\n"))
			}
		}
		for _, a := range s.absent {
			for _, line := range r.head {
				if strings.HasPrefix(line, a) {
					t.Errorf("%s: unexpected %q", s.name, line)
				}
			}
		}
		if r.body != s.body {
			t.Errorf("%s: body %q, want %q", s.name, r.body, s.body)
		}
		if strings.Contains(strings.Join(r.head, "\n"), "stub-secret") {
			t.Errorf("%s: the secret is on the wire", s.name)
		}
	}
}

func clientAnswerWith(status int, body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestClientAnswers(t *testing.T) {
	ctx := context.Background()
	count := func(status int, body string) (int, error, int) {
		f, srv := clientServe(t, clientAnswerWith(status, body))
		n, err := clientNewTest(t, srv.URL).CountReceived(ctx, MessageEdoc)
		clientNoSecret(t, err)
		return n, err, len(f.requests())
	}
	// ErrorCode as a number and as a string; an HTTP 500 carrying an OK answer is a success
	for _, body := range []string{
		`{"status":"OK","ErrorCode":0,"ErrorDesc":"Thanh cong","count":7}`,
		`{"status":"OK","ErrorCode":"0","ErrorDesc":"Thanh cong","count":"7"}`,
		"\xef\xbb\xbf \n" + `{"count":7,"ErrorDesc":"Thanh cong","ErrorCode":"0","status":"OK"}`,
	} {
		for _, status := range []int{200, 500} {
			if n, err, _ := count(status, body); err != nil || n != 7 {
				t.Errorf("HTTP %d %s: %d, %v", status, body, n, err)
			}
		}
	}
	// a refusal, with its UTF-8 description
	desc := "Đơn vị gửi 002.00.20.H13 không đúng với mã đã đăng ký: vxp.saas.03"
	for _, code := range []string{`"-1"`, `-1`} {
		_, err, n := count(200, `{"status":"FAIL","ErrorCode":`+code+`,"ErrorDesc":"`+desc+`"}`)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != "-1" || ae.Desc != desc || ae.Status != "FAIL" || n != 1 {
			t.Errorf("FAIL %s: %#v (%d attempts)", code, err, n)
		}
	}
	// not JSON, JSON without status, a missing count: transport errors, not retried
	for _, body := range []string{"<html><body>Bad gateway</body></html>", "", `{"ErrorCode":"0","ErrorDesc":"Thanh cong","count":1}`, `["OK"]`, `{"status":"OK","ErrorCode":"0"}`, `{"status":"OK","ErrorCode":0,"count":1`} {
		_, err, n := count(200, body)
		var te *TransportError
		if !errors.As(err, &te) || te.Call != "countReceiveEdoc" || n != 1 {
			t.Errorf("%q: %v (%d attempts)", body, err, n)
		}
	}
	if _, err, _ := count(200, "<html>"); err == nil || !strings.HasPrefix(err.Error(), "countReceiveEdoc: the platform's answer is not JSON: ") {
		t.Errorf("message: %v", err)
	}

	// sendEdoc: the DocId; a refusal (the SDK reads it as US-ASCII, vbdt as UTF-8); not JSON
	path, _ := clientTestFile(t)
	_, srv := clientServe(t, clientAnswerWith(200, `{"status":"FAIL","ErrorCode":"1","ErrorDesc":"`+desc+`","DocId":""}`))
	_, err := clientNewTest(t, srv.URL).Send(ctx, path, MessageEdoc, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Desc != desc || ae.Code != "1" {
		t.Errorf("send FAIL: %v", err)
	}
	f, srv := clientServe(t, clientAnswerWith(502, "<html>502 Bad Gateway</html>"))
	_, err = clientNewTest(t, srv.URL).Send(ctx, path, MessageEdoc, nil)
	var te *TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "may or may not have been delivered") || len(f.requests()) != 1 {
		t.Errorf("send, not JSON: %v (%d attempts)", err, len(f.requests()))
	}
	clientNoSecret(t, err)
	_, srv = clientServe(t, clientAnswerWith(200, clientOK("")))
	if _, err = clientNewTest(t, srv.URL).Send(ctx, path, MessageEdoc, nil); !errors.As(err, &te) {
		t.Errorf("send, OK without DocId: %v", err)
	}
	// a list answer whose data is not a list
	_, srv = clientServe(t, clientAnswerWith(200, clientOK(`,"data":{"docId":"1"}`)))
	if _, err = clientNewTest(t, srv.URL).Received(ctx, MessageEdoc); !errors.As(err, &te) {
		t.Errorf("received, data not a list: %v", err)
	}
	// an answer beyond MaxAnswer
	f, srv = clientServe(t, clientAnswerWith(200, clientOK(`,"data":[`+strings.Repeat(`{"docId":"1"},`, 100)+`{}]`)))
	_, err = clientNewTest(t, srv.URL, func(cfg *Config) { cfg.MaxAnswer = 512 }).Received(ctx, MessageEdoc)
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "MaxAnswer") || len(f.requests()) != 1 {
		t.Errorf("too large: %v (%d attempts)", err, len(f.requests()))
	}
	clientNoSecret(t, err)
}

// clientAgencyCode is the code of the i-th generated agency.
func clientAgencyCode(i int) string {
	return fmt.Sprintf("%03d.%02d.%02d.H%02d", i/10000, i/100%100, i%100, i%97)
}

func TestClientAgenciesStream(t *testing.T) {
	const total = 100_000
	seen := make(chan struct{})
	var streamed atomic.Bool
	_, srv := clientServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		bw := bufio.NewWriterSize(w, 32<<10)
		io.WriteString(bw, `{"status":"OK","ErrorCode":0,"ErrorDesc":"Thanh cong","data":[`)
		for i := 0; i < total; i++ {
			if i > 0 {
				bw.WriteByte(',')
			}
			fmt.Fprintf(bw, `{"id":"%d","pid":"%d","code":"%s","name":"Đơn vị số %d","mail":"u%d@gov.vn","oldCode":"O%d"}`, i, i/10, clientAgencyCode(i), i, i, i)
			if i == 999 {
				// the client must see the first entries while the rest is still to come
				bw.Flush()
				w.(http.Flusher).Flush()
				select {
				case <-seen:
					streamed.Store(true)
				case <-time.After(5 * time.Second):
				}
			}
		}
		io.WriteString(bw, `]}`)
		bw.Flush()
	})
	c := clientNewTest(t, srv.URL)
	n := 0
	err := c.Agencies(context.Background(), func(a Agency) error {
		if a.ID != strconv.Itoa(n) || a.Code != clientAgencyCode(n) || a.Name != fmt.Sprintf("Đơn vị số %d", n) || a.PID != strconv.Itoa(n/10) || a.OldCode != fmt.Sprintf("O%d", n) {
			return fmt.Errorf("entry %d is %+v", n, a)
		}
		if n == 0 {
			close(seen)
		}
		n++
		return nil
	})
	if err != nil || n != total {
		t.Fatalf("%d entries, %v", n, err)
	}
	if !streamed.Load() {
		t.Error("the client saw no entry before the whole answer was written: not streamed")
	}

	// an error of fn stops the call and is returned as it is, without a retry
	stop := errors.New("enough")
	f, srv := clientServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		io.WriteString(w, `{"status":"OK","ErrorCode":"0","ErrorDesc":"","data":[`)
		for i := 0; i < 1000; i++ {
			if i > 0 {
				io.WriteString(w, ",")
			}
			fmt.Fprintf(w, `{"id":"%d","code":"%s"}`, i, clientAgencyCode(i))
		}
		io.WriteString(w, `]}`)
	})
	n = 0
	err = clientNewTest(t, srv.URL).Agencies(context.Background(), func(a Agency) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 10 || len(f.requests()) != 1 {
		t.Errorf("fn's error: %v after %d entries, %d attempts", err, n, len(f.requests()))
	}

	// a refusal before the data: fn sees nothing; a refusal after it is still a refusal
	for _, body := range []string{
		`{"status":"FAIL","ErrorCode":"9","ErrorDesc":"Khong co quyen","data":[{"code":"x"}]}`,
		`{"data":[],"status":"FAIL","ErrorCode":9,"ErrorDesc":"Khong co quyen"}`,
	} {
		_, srv := clientServe(t, clientAnswerWith(200, body))
		called := false
		err := clientNewTest(t, srv.URL).Agencies(context.Background(), func(Agency) error { called = true; return nil })
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != "9" || called {
			t.Errorf("%s: %v (fn called: %v)", body, err, called)
		}
	}
	// broken answers
	for _, body := range []string{`<html>`, `{"ErrorCode":"0","data":[]}`, `{"status":"OK","data":[{"code":"a"},`, `{"status":"OK","data":[true]}`, `{"status":"OK"} x`} {
		_, srv := clientServe(t, clientAnswerWith(200, body))
		err := clientNewTest(t, srv.URL).Agencies(context.Background(), func(Agency) error { return nil })
		var te *TransportError
		if !errors.As(err, &te) || te.Call != "getAgenciesList" {
			t.Errorf("%s: %v", body, err)
		}
		clientNoSecret(t, err)
	}
	// bounded as it streams
	_, srv = clientServe(t, nil)
	err = clientNewTest(t, srv.URL, func(cfg *Config) { cfg.MaxAnswer = 100 }).Agencies(context.Background(), func(Agency) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "MaxAnswer") {
		t.Errorf("MaxAnswer: %v", err)
	}
}

func TestClientDocuments(t *testing.T) {
	ctx := context.Background()
	doc := []byte(clientTestXML + strings.Repeat("<x>\u00e9\x01</x>", 200))
	b64 := base64.StdEncoding.EncodeToString(doc)
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))])
		wrapped.WriteString(`\r\n`)
	}
	for _, data := range []string{b64, strings.ReplaceAll(wrapped.String(), `\r`, ""), wrapped.String()} {
		_, srv := clientServe(t, clientAnswerWith(200, clientOK(`,"data":"`+data+`"`)))
		got, err := clientNewTest(t, srv.URL).GetEdoc(ctx, clientTestDocID)
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("getEdoc: %d bytes, %v", len(got), err)
		}
	}
	var te *TransportError
	for _, body := range []string{clientOK(""), clientOK(`,"data":"!!not base64!!"`)} {
		_, srv := clientServe(t, clientAnswerWith(200, body))
		if _, err := clientNewTest(t, srv.URL).GetEdoc(ctx, clientTestDocID); !errors.As(err, &te) {
			t.Errorf("getEdoc %s: %v", body, err)
		}
	}

	// downloadEdoc streams the raw bytes, a BOM and leading white space included
	big := append([]byte("\xef\xbb\xbf\n  "), bytes.Repeat(doc, 50)...)
	_, srv := clientServe(t, clientAnswerWith(200, string(big)))
	var buf bytes.Buffer
	n, err := clientNewTest(t, srv.URL).Download(ctx, clientTestDocID, &buf)
	if err != nil || n != int64(len(big)) || !bytes.Equal(buf.Bytes(), big) {
		t.Errorf("download: %d bytes, %v", n, err)
	}
	// a JSON refusal: *APIError, nothing written
	f, srv := clientServe(t, clientAnswerWith(200, `{"status":"FAIL","ErrorCode":"404","ErrorDesc":"Khong tim thay van ban"}`))
	buf.Reset()
	n, err = clientNewTest(t, srv.URL).Download(ctx, clientTestDocID, &buf)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "404" || buf.Len() != 0 || n != 0 || len(f.requests()) != 1 {
		t.Errorf("download FAIL: %v, %d bytes written, %d attempts", err, buf.Len(), len(f.requests()))
	}
	// JSON that is no refusal, something else, nothing: *TransportError, nothing written
	for _, body := range []string{clientOK(""), "Not found", "", `{"ErrorCode":"1"}`} {
		_, srv := clientServe(t, clientAnswerWith(200, body))
		buf.Reset()
		n, err := clientNewTest(t, srv.URL).Download(ctx, clientTestDocID, &buf)
		if !errors.As(err, &te) || buf.Len() != 0 || n != 0 {
			t.Errorf("download %q: %v, %d bytes written", body, err, buf.Len())
		}
		clientNoSecret(t, err)
	}
}

// clientHijack closes the connection without an answer.
func clientHijack(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestClientRetries(t *testing.T) {
	ctx := context.Background()
	// idempotent calls: a connection closed without an answer, a 503 page: retried
	f, srv := clientServe(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			clientHijack(w)
			return
		}
		clientDefaultAnswer(w, r)
	})
	got, err := clientNewTest(t, srv.URL).Received(ctx, MessageEdoc)
	if err != nil || len(got) != 1 || len(f.requests()) != 2 {
		t.Errorf("received after a dropped connection: %v, %d attempts", err, len(f.requests()))
	}
	recs := f.requests()
	if len(recs) == 2 && recs[0].params.Get("timestamp") == recs[1].params.Get("timestamp") {
		// the default clock has milliseconds and the backoff is ≥150 ms
		t.Error("a retry reuses the timestamp")
	}
	f, srv = clientServe(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			clientHijack(w)
			return
		}
		clientDefaultAnswer(w, r)
	})
	var buf bytes.Buffer
	if _, err := clientNewTest(t, srv.URL).Download(ctx, clientTestDocID, &buf); err != nil || buf.String() != clientTestXML || len(f.requests()) != 2 {
		t.Errorf("download after a dropped connection: %v, %q, %d attempts", err, buf.String(), len(f.requests()))
	}
	f, srv = clientServe(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<html>Service Unavailable</html>")
			return
		}
		clientDefaultAnswer(w, r)
	})
	if err := clientNewTest(t, srv.URL).UpdateStatus(ctx, clientTestDocID, AckDone); err != nil || len(f.requests()) != 3 {
		t.Errorf("updateStatus after two 503s: %v, %d attempts", err, len(f.requests()))
	}
	// at most Attempts
	f, srv = clientServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { clientHijack(w) })
	err = clientNewTest(t, srv.URL, func(cfg *Config) { cfg.Attempts = 2 }).UpdateStatus(ctx, clientTestDocID, AckDone)
	var te *TransportError
	if !errors.As(err, &te) || len(f.requests()) != 2 {
		t.Errorf("always dropped: %v, %d attempts", err, len(f.requests()))
	}
	clientNoSecret(t, err)

	// sendEdoc dropped after its body was read: not retried, delivery unknown
	path, data := clientTestFile(t)
	f, srv = clientServe(t, func(w http.ResponseWriter, r *http.Request, _ int) { clientHijack(w) })
	_, err = clientNewTest(t, srv.URL).Send(ctx, path, MessageEdoc, nil)
	if recs := f.requests(); len(recs) != 1 || string(recs[0].body) != string(data)+"\r\n" {
		t.Errorf("send dropped: %d attempts", len(recs))
	}
	if !errors.As(err, &te) || te.Call != "sendEdoc" || !strings.Contains(err.Error(), "may or may not have been delivered") {
		t.Errorf("send dropped: %v", err)
	}
	clientNoSecret(t, err)

	// sendEdoc to a closed port: a dial error, retried Attempts times, then reported
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var dials atomic.Int32
	counting := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}}}
	for _, hc := range []*http.Client{counting, nil} {
		start := time.Now()
		_, err = clientNewTest(t, "http://"+addr, func(cfg *Config) { cfg.HTTP = hc }).Send(ctx, path, MessageEdoc, nil)
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "not delivered") {
			t.Errorf("send to a closed port: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("send to a closed port took %v", d)
		}
		clientNoSecret(t, err)
	}
	if dials.Load() != 3 {
		t.Errorf("send to a closed port: %d dials, want 3", dials.Load())
	}
}

func TestClientDeadline(t *testing.T) {
	f, srv := clientServe(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
		clientDefaultAnswer(w, r)
	})
	c := clientNewTest(t, srv.URL)
	path, _ := clientTestFile(t)
	calls := map[string]func(ctx context.Context) error{
		"getReceivedEdocList": func(ctx context.Context) error { _, err := c.Received(ctx, MessageEdoc); return err },
		"getAgenciesList":     func(ctx context.Context) error { return c.Agencies(ctx, func(Agency) error { return nil }) },
		"sendEdoc":            func(ctx context.Context) error { _, err := c.Send(ctx, path, MessageEdoc, nil); return err },
		"downloadEdoc":        func(ctx context.Context) error { _, err := c.Download(ctx, clientTestDocID, io.Discard); return err },
	}
	for name, call := range calls {
		before := len(f.requests())
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		d := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || d > time.Second {
			t.Errorf("%s: %v after %v", name, err, d)
		}
		var te *TransportError
		if !errors.As(err, &te) || te.Call != name {
			t.Errorf("%s: %T %v", name, err, err)
		}
		if n := len(f.requests()) - before; n > 1 {
			t.Errorf("%s: %d attempts past the deadline", name, n)
		}
		clientNoSecret(t, err)
	}
	// a ctx already done: no request at all
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := len(f.requests())
	if err := c.UpdateStatus(ctx, clientTestDocID, AckDone); !errors.Is(err, context.Canceled) || len(f.requests()) != before {
		t.Errorf("cancelled: %v", err)
	}
}

func TestClientConfig(t *testing.T) {
	cfg := Config{Endpoint: "https://vxp.example.vn/api/", SystemID: clientTestSystem, Secret: clientTestSecret}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint() != "https://vxp.example.vn/api" || c.SystemID() != clientTestSystem || c.attempts != 3 || c.maxAnswer != 64<<20 {
		t.Errorf("defaults: %v", c)
	}
	if _, off := c.now().Zone(); off != 7*3600 {
		t.Errorf("the default clock is at UTC%+d s", off)
	}
	if tr, ok := c.http.Transport.(*http.Transport); !ok || tr.ResponseHeaderTimeout != 60*time.Second || c.http.Timeout != 0 {
		t.Errorf("default HTTP client %+v", c.http)
	}
	for _, s := range []string{cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), fmt.Sprintf("%v %+v %#v", &cfg, &cfg, &cfg),
		c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%v %+v %#v", *c, *c, *c)} {
		if strings.Contains(s, clientTestSecret) || !strings.Contains(s, "redacted") {
			t.Errorf("shows the secret or no redaction: %s", s)
		}
	}
	for _, bad := range []Config{
		{Endpoint: "", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "ftp://x", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "http://", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "vxp.vnpt.vn", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "http://x/%zz", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "http://u:" + clientTestSecret + "@x", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "http://x?a=b", SystemID: "a", Secret: clientTestSecret},
		{Endpoint: "http://x", SystemID: "", Secret: clientTestSecret},
		{Endpoint: "http://x", SystemID: "mã", Secret: clientTestSecret},
		{Endpoint: "http://x", SystemID: "a", Secret: ""},
	} {
		if _, err := New(bad); err == nil {
			t.Errorf("accepted %v", bad)
		} else {
			clientNoSecret(t, err)
		}
	}
	// arguments that cannot travel in a header
	ctx := context.Background()
	for _, err := range []error{
		c.UpdateStatus(ctx, "", AckDone),
		c.UpdateStatus(ctx, "a\r\nX-Injected: 1", AckDone),
		func() error { _, err := c.GetEdoc(ctx, "văn bản"); return err }(),
		func() error { _, err := c.CountReceived(ctx, "other"); return err }(),
		func() error { _, err := c.Send(ctx, t.TempDir(), MessageEdoc, nil); return err }(),
	} {
		if err == nil {
			t.Error("a bad argument was accepted")
		}
		clientNoSecret(t, err)
	}
}
