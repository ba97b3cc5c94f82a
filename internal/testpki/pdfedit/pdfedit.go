// Package pdfedit edits PDF files at the byte level for tests: what an attacker appends to a
// signed document (incremental updates redefining objects), read back through qpdf's JSON.
package pdfedit

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// StartxrefRE finds a file's last startxref offset.
var StartxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)

// QPDFJSON returns the objects of the PDF at path as qpdf sees them ("13" → dictionary, with a
// stream's dictionary for streams; "trailer" → the trailer).
func QPDFJSON(t testing.TB, path string) map[string]map[string]any {
	t.Helper()
	out, err := exec.Command("qpdf", "--json=2", "--json-key=qpdf", path).Output()
	if err != nil {
		t.Fatalf("qpdf --json %s: %v", path, err)
	}
	var j struct {
		Qpdf []json.RawMessage `json:"qpdf"`
	}
	if err := json.Unmarshal(out, &j); err != nil || len(j.Qpdf) < 2 {
		t.Fatalf("qpdf json: %v", err)
	}
	var objs map[string]struct {
		Value  map[string]any `json:"value"`
		Stream struct {
			Dict map[string]any `json:"dict"`
		} `json:"stream"`
	}
	json.Unmarshal(j.Qpdf[1], &objs)
	res := map[string]map[string]any{}
	for k, v := range objs {
		d := v.Value
		if d == nil {
			d = v.Stream.Dict
		}
		k = strings.TrimSuffix(strings.TrimPrefix(k, "obj:"), " 0 R")
		res[k] = d
	}
	return res
}

// RefNum is the object number of a qpdf reference string "N 0 R".
func RefNum(t testing.TB, v any) int {
	t.Helper()
	s, _ := v.(string)
	n, err := strconv.Atoi(strings.Fields(s + " x")[0])
	if err != nil {
		t.Fatalf("not a reference: %v", v)
	}
	return n
}

// ObjByT finds the object whose /T is name.
func ObjByT(t testing.TB, objs map[string]map[string]any, name string) int {
	t.Helper()
	for k, d := range objs {
		if d["/T"] == "u:"+name {
			n, _ := strconv.Atoi(k)
			return n
		}
	}
	t.Fatalf("no object with /T (%s)", name)
	return 0
}

// Decoded returns the decoded data of stream n.
func Decoded(t testing.TB, path string, n int) string {
	t.Helper()
	out, err := exec.Command("qpdf", fmt.Sprintf("--show-object=%d", n), "--filtered-stream-data", path).Output()
	if err != nil {
		t.Fatalf("qpdf --show-object=%d: %v", n, err)
	}
	return string(out)
}

// Stream is the body of a stream object with dictionary entries dict (without /Length).
func Stream(dict, data string) string {
	return fmt.Sprintf("<<%s /Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
}

// Flate is a Flate-encoded stream body.
func Flate(dict, data string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(data))
	w.Close()
	return fmt.Sprintf("<<%s /Filter /FlateDecode /Length %d>>\nstream\n%s\nendstream", dict, b.Len(), b.String())
}

// RawIncrement returns the document at in with an incremental update appended that (re)defines
// the objects given (generation 0; an empty body frees the object) in a classic cross-reference section; the trailer repeats
// /Root and /Info of the last one unless trailer sets them (an empty value removes a key).
func RawIncrement(t testing.TB, in string, objs map[int]string, trailer map[string]string) []byte {
	t.Helper()
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	m := StartxrefRE.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s: no startxref", in)
	}
	last := QPDFJSON(t, in)["trailer"]
	size := int(last["/Size"].(float64))
	tr := map[string]string{"/Prev": string(m[1])}
	for _, k := range []string{"/Root", "/Info"} {
		if v, ok := last[k].(string); ok {
			tr[k] = v
		}
	}
	for k, v := range trailer {
		tr[k] = v
	}
	var nums []int
	for n := range objs {
		nums = append(nums, n)
		size = max(size, n+1)
	}
	tr["/Size"] = strconv.Itoa(size)
	sort.Ints(nums)
	b := bytes.NewBuffer(bytes.Clone(data))
	b.WriteString("\n")
	offs := map[int]int{}
	for _, n := range nums {
		if objs[n] == "" {
			continue
		}
		offs[n] = b.Len()
		fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	xref := b.Len()
	b.WriteString("xref\n")
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(b, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			if objs[nums[k]] == "" { // freed
				fmt.Fprintf(b, "%010d 00001 f\r\n", 0)
				continue
			}
			fmt.Fprintf(b, "%010d 00000 n\r\n", offs[nums[k]])
		}
		i = j + 1
	}
	b.WriteString("trailer\n<<")
	var keys []string
	for k := range tr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if tr[k] != "" {
			fmt.Fprintf(b, "%s %s ", k, tr[k])
		}
	}
	fmt.Fprintf(b, ">>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

func AppendRaw(t testing.TB, in, out string, objs map[int]string, trailer map[string]string) string {
	t.Helper()
	if err := os.WriteFile(out, RawIncrement(t, in, objs, trailer), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// LastBody is the body of the newest definition of object n in the file (between "obj" and
// "endobj"), for editing as text.
func LastBody(t testing.TB, path string, n int) string {
	t.Helper()
	data, _ := os.ReadFile(path)
	head := fmt.Sprintf("\n%d 0 obj", n)
	i := bytes.LastIndex(data, []byte(head))
	if i < 0 {
		t.Fatalf("object %d not found", n)
	}
	rest := data[i+len(head):]
	j := bytes.Index(rest, []byte("endobj"))
	return strings.TrimSpace(string(rest[:j]))
}
