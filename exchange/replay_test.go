package exchange

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbdt/vbdt/internal/testpki/testenv"
)

// The SDK's requests as EXCHANGE.md records them, replayed byte for byte against the stand-in,
// quirks included: headers accumulated from earlier calls and signed, one timestamp reused for
// every call, `{}` and empty bodies, Expect: 100-continue, the unpadded hash-file, the CRLF
// after the file.

const (
	sdkG22Secret = "stub-secret"
	sdkH41Secret = "another-stub-secret"
	sdkTimestamp = "24102025T101500+0945" // taken once, reused by every call of a service object
)

// sdkRequest is an HTTP/1.1 request as the SDK writes it: Content-Type, the XroadVnpt- form of
// every parameter, the key list, the signed JSON, its HMAC, User-Agent and version, then
// whatever else (Content-Length, Expect…).
func sdkRequest(method, path string, ps Params, secret string, extra []string, body []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, path)
	fmt.Fprintf(&b, "Content-Type: %s\r\n", ps.Get("Content-Type"))
	for _, p := range ps {
		fmt.Fprintf(&b, "%s%s: %s\r\n", Prefix, p.Name, p.Value)
	}
	fmt.Fprintf(&b, "%s: %s\r\n", SignHeaderKey, ps.KeyList())
	fmt.Fprintf(&b, "%s: %s\r\n", SignHeader, ps.SignedJSON())
	fmt.Fprintf(&b, "%s: %s\r\n", HashHeader, HMAC(secret, ps.SignedJSON()))
	fmt.Fprintf(&b, "User-Agent: %s\r\n%sversion: %s\r\n", UserAgent, Prefix, Version)
	b.WriteString("Host: 127.0.0.1\r\n")
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	if method == http.MethodPost {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	return append([]byte(b.String()), body...)
}

// replay writes raw bytes on a new connection and reads the answer; with expect, it waits for
// 100 Continue before the body, as HttpClient does.
func replay(t *testing.T, addr string, req []byte, expect bool) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	head, body, _ := strings.Cut(string(req), "\r\n\r\n")
	if expect {
		c.Write([]byte(head + "\r\n\r\n"))
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
			t.Fatalf("no 100 Continue: %q %v", line, err)
		}
		br.ReadString('\n') // the blank line after it
		c.Write([]byte(body))
	} else {
		c.Write(req)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// field reads an answer's JSON fields, as strings, as the SDK does.
func fields(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, data)
	}
	return m
}

func expectOK(t *testing.T, call string, m map[string]any) {
	t.Helper()
	if m["status"] != "OK" || m["ErrorCode"] != "0" || m["ErrorDesc"] != "Thanh cong" {
		t.Fatalf("%s: %v", call, m)
	}
}

func sharedFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "interop", "edxml", name))
	if err != nil {
		testenv.Need(t, fmt.Sprintf("../shared/interop beside the repository: %v", err))
	}
	return data
}

func newTestServer(t testing.TB, cfg ServerConfig) (*Server, string) {
	t.Helper()
	cfg.Dir = t.TempDir()
	if cfg.Systems == nil {
		cfg.Systems = []System{{"000.00.00.G22", sdkG22Secret}, {"000.00.00.H41", sdkH41Secret}}
	}
	if cfg.Directory == nil {
		cfg.Directory = []Agency{{ID: "1", Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"}, {ID: "2", Code: "000.00.00.H41", Name: "UBND Tỉnh Nghệ An"},
			{ID: "3", Code: "000.00.00.H14", Name: "UBND Tỉnh Cao Bằng"}, {ID: "4", Code: "000.00.00.G17", Name: "Sở TTTT Hải Phòng"}}
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, strings.TrimPrefix(ts.URL, "http://")
}

func TestReplaySDKRequests(t *testing.T) {
	update := sharedFile(t, "edoc_update.edxml")
	status03 := sharedFile(t, "status_acceptance_03.edxml")
	_, addr := newTestServer(t, ServerConfig{})
	g22 := func(own ...Param) Params { return signedParams("000.00.00.G22", sdkTimestamp, ContentJSON, own...) }

	// §4.1 getAgenciesList: the request of EXCHANGE.md, byte for byte
	req := sdkRequest(http.MethodPost, PathAgencies, g22(), sdkG22Secret, nil, nil)
	wantHead := "POST /getAgenciesList HTTP/1.1\r\nContent-Type: application/json\r\nXroadVnpt-systemid: 000.00.00.G22\r\n" +
		"XroadVnpt-timestamp: 24102025T101500+0945\r\nXroadVnpt-Content-Type: application/json\r\nXroadVnpt-sign-header-key: systemid;timestamp;Content-Type\r\n" +
		`XroadVnpt-sign-header: {"XroadVnpt-systemid":"000.00.00.G22","XroadVnpt-timestamp":"24102025T101500+0945","XroadVnpt-Content-Type":"application/json"}` + "\r\n"
	if !strings.HasPrefix(string(req), wantHead) {
		t.Fatalf("the replayed request is not the SDK's:\n%s", req)
	}
	resp, data := replay(t, addr, req, false)
	m := fields(t, data)
	expectOK(t, "getAgenciesList", m)
	if list, _ := m["data"].([]any); len(list) != 4 || list[1].(map[string]any)["code"] != "000.00.00.H41" || list[1].(map[string]any)["name"] != "UBND Tỉnh Nghệ An" {
		t.Fatalf("directory: %v", m["data"])
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP %d", resp.StatusCode)
	}

	// §4.3 sendEdoc: the file then CRLF, the unpadded hash-file (62 characters for this file)
	sum := sha256.Sum256(update)
	send := g22(Param{"servicetype", ServiceEdoc}, Param{"messagetype", MessageEdoc}, Param{"hash-file", HashFile(sum[:])}, Param{"from", "000.00.00.G22"})
	send[len(send)-1].Value = ContentBinary
	if send.KeyList() != "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type" || len(HashFile(sum[:])) != 62 {
		t.Fatalf("%s %s", send.KeyList(), HashFile(sum[:]))
	}
	sdkSendHeaders := []string{"Accept: text/html, image/gif, image/jpeg, */*; q=0.2", "Cache-Control: no-cache", "Pragma: no-cache"}
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathSend, send, sdkG22Secret, sdkSendHeaders, append(append([]byte{}, update...), '\r', '\n')), false)
	m = fields(t, data)
	expectOK(t, "sendEdoc", m)
	docID, _ := m["DocId"].(string)
	if len(docID) != 24 {
		t.Fatalf("DocId %q", docID)
	}

	// H41's receive loop on one service object: the list (empty body), then getEdoc and
	// updateStatus whose headers accumulate the earlier calls' parameters, all signed, with
	// {} bodies and Expect: 100-continue, under the one timestamp
	h41 := Params{{"systemid", "000.00.00.H41"}, {"servicetype", ServiceEdoc}, {"messagetype", MessageEdoc}, {"timestamp", sdkTimestamp}, {"Content-Type", ContentJSON}}
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathReceived, h41, sdkH41Secret, nil, nil), false)
	m = fields(t, data)
	expectOK(t, "getReceivedEdocList", m)
	list, _ := m["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("inbox: %v", m)
	}
	item := list[0].(map[string]any)
	if item["from"] != "000.00.00.G22" || item["to"] != "000.00.00.H41" || item["messageType"] != "edoc" || item["serviceType"] != "eDoc" {
		t.Fatalf("inbox item %v", item)
	}
	receiverDoc := item["docId"].(string)
	accumulated := Params{{"systemid", "000.00.00.H41"}, {"servicetype", ServiceEdoc}, {"messagetype", MessageEdoc},
		{"docId", receiverDoc}, {"filePath", "xml"}, {"timestamp", sdkTimestamp}, {"Content-Type", ContentJSON}}
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathGetEdoc, accumulated, sdkH41Secret, []string{"Expect: 100-continue"}, []byte("{}")), true)
	m = fields(t, data)
	expectOK(t, "getEdoc", m)
	if got, err := base64.StdEncoding.DecodeString(m["data"].(string)); err != nil || string(got) != string(update) {
		t.Fatalf("getEdoc data: %d bytes, want the %d sent (%v)", len(got), len(update), err)
	}
	// downloadEdoc: GET, the raw bytes
	_, data = replay(t, addr, sdkRequest(http.MethodGet, PathDownloadEdoc, accumulated, sdkH41Secret, nil, nil), false)
	if string(data) != string(update) {
		t.Fatalf("downloadEdoc: %d bytes", len(data))
	}
	ack := append(append(Params{}, accumulated...), Param{"status", AckDone})
	if !strings.HasSuffix(ack.KeyList(), "timestamp;Content-Type;status") {
		t.Fatal(ack.KeyList())
	}
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathUpdateStatus, ack, sdkH41Secret, []string{"Expect: 100-continue"}, []byte("{}")), true)
	expectOK(t, "updateStatus", fields(t, data))
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathCountEdoc, ack, sdkH41Secret, nil, []byte("{}")), false)
	if m = fields(t, data); m["count"] != float64(0) {
		t.Fatalf("countReceiveEdoc after done: %v", m)
	}

	// H41 answers with a status message (03): routed to the document's sender, G22
	st := sha256.Sum256(status03)
	sendStatus := Params{{"systemid", "000.00.00.H41"}, {"servicetype", ServiceEdoc}, {"messagetype", MessageStatus}, {"hash-file", HashFile(st[:])},
		{"from", "000.00.00.H41"}, {"timestamp", sdkTimestamp}, {"Content-Type", ContentBinary}}
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathSend, sendStatus, sdkH41Secret, sdkSendHeaders, append(append([]byte{}, status03...), '\r', '\n')), false)
	expectOK(t, "sendEdoc status", fields(t, data))
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathReceived, g22(Param{"servicetype", ServiceEdoc}, Param{"messagetype", MessageStatus}), sdkG22Secret, nil, nil), false)
	m = fields(t, data)
	if list, _ := m["data"].([]any); len(list) != 1 || list[0].(map[string]any)["from"] != "000.00.00.H41" {
		t.Fatalf("G22's status inbox: %v", m)
	}

	// getSentEdocList: one row per recipient, H41's received
	_, data = replay(t, addr, sdkRequest(http.MethodPost, PathSent, g22(Param{"servicetype", ServiceEdoc}, Param{"messagetype", MessageEdoc}, Param{"docId", docID}), sdkG22Secret, nil, nil), false)
	m = fields(t, data)
	expectOK(t, "getSentEdocList", m)
	rows, _ := m["data"].([]any)
	if len(rows) != 3 {
		t.Fatalf("sent list: %v", m)
	}
	for _, r := range rows {
		row := r.(map[string]any)
		if row["senderDocId"] != docID || row["fromCode"] != "000.00.00.G22" || row["notation"] != "VPCP-TTĐT" && row["notation"] != "7816/VPCP-TTĐT" {
			t.Errorf("sent row %v", row)
		}
		if done := row["receiveStatus"] == AckDone; done != (row["toCode"] == "000.00.00.H41") {
			t.Errorf("receive status of %v: %v", row["toCode"], row["receiveStatus"])
		}
	}

	// refusals, each a FAIL the SDK can parse (sendEdoc's with a DocId)
	for name, c := range map[string]struct {
		req  []byte
		want string
	}{
		"wrong secret": {sdkRequest(http.MethodPost, PathAgencies, g22(), "not-the-secret", nil, nil), "does not match"},
		"wrong from": {sdkRequest(http.MethodPost, PathSend, Params{{"systemid", "000.00.00.G22"}, {"servicetype", ServiceEdoc}, {"messagetype", MessageEdoc},
			{"hash-file", HashFile(sum[:])}, {"from", "002.00.20.H13"}, {"timestamp", sdkTimestamp}, {"Content-Type", ContentBinary}}, sdkG22Secret, nil, update),
			"Don vi gui 002.00.20.H13 khong dung voi ma da dang ky: 000.00.00.G22"},
		"bad hash-file": {sdkRequest(http.MethodPost, PathSend, Params{{"systemid", "000.00.00.G22"}, {"servicetype", ServiceEdoc}, {"messagetype", MessageEdoc},
			{"hash-file", "00" + HashFile(sum[:])}, {"from", "000.00.00.G22"}, {"timestamp", sdkTimestamp}, {"Content-Type", ContentBinary}}, sdkG22Secret, nil, update),
			"hash-file"},
		"unsigned": {[]byte("POST /getAgenciesList HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"), "not signed"},
	} {
		_, data := replay(t, addr, c.req, false)
		m := fields(t, data)
		if m["status"] != "FAIL" || m["ErrorCode"] == "0" || !strings.Contains(fmt.Sprint(m["ErrorDesc"]), c.want) {
			t.Errorf("%s: %v", name, m)
		}
		if strings.HasPrefix(name, "wrong from") || strings.HasPrefix(name, "bad hash") {
			if _, ok := m["DocId"]; !ok {
				t.Errorf("%s: a sendEdoc failure without DocId", name)
			}
		}
	}
}

// The CRLF the SDK appends is not the file's, whatever the reads' sizes; other endings are.
func TestReceiveBodyTail(t *testing.T) {
	s := &Server{cfg: ServerConfig{MaxEnvelope: 1 << 20}}
	dir := t.TempDir()
	for i, c := range []struct{ body, want string }{
		{"<a/>\r\n", "<a/>"}, {"<a/>\n", "<a/>\n"}, {"<a/>\r\n\r\n", "<a/>\r\n"}, {"\r\n", ""}, {"x", "x"}, {"<a/>\r", "<a/>\r"},
	} {
		for _, step := range []int{1, 2, 3, 1000} {
			path := filepath.Join(dir, fmt.Sprintf("%d-%d", i, step))
			n, sum, err := s.receiveBody(&stepReader{data: []byte(c.body), step: step}, path)
			got, _ := os.ReadFile(path)
			if c.want == "" {
				if err == nil {
					t.Errorf("%q: an empty body accepted", c.body)
				}
				continue
			}
			want := sha256.Sum256([]byte(c.want))
			if err != nil || string(got) != c.want || n != int64(len(c.want)) || string(sum) != string(want[:]) {
				t.Errorf("%q in reads of %d: %q (%d) %v", c.body, step, got, n, err)
			}
		}
	}
}

// stepReader gives its data a few bytes at a time.
type stepReader struct {
	data []byte
	step int
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.data)
	r.data = r.data[n:]
	return n, nil
}
