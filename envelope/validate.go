package envelope

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Severity of a finding.
type Severity string

// Severities: an error makes an envelope invalid; a warning is a deviation real producers make
// (invalid with --strict); info says what was checked.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Finding is one thing validation found, with a stable rule id and where in the file it is.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Pos
	// Path is the element's path from the root, e.g. edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[2]/OrganId.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// Field lengths of Decree 30 Appendix VI (characters).
var fieldLengths = []struct {
	path string
	max  int
}{
	{"Code/CodeNumber", 11}, {"Code/CodeNotation", 30}, {"From/OrganName", 200}, {"To/OrganName", 200}, {"Subject", 500},
	{"DocumentType/TypeName", 100}, {"SignerInfo/Position", 100}, {"SignerInfo/FullName", 50}, {"OtherInfo/PageAmount", 3},
	{"OtherInfo/Priority", 1},
}

var (
	// OrganIdQCVN is QCVN 102's organization id shape, e.g. 000.00.00.H49.
	organIDQCVN = regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)
	// organIDNew is Decision 20/2020/QĐ-TTg's longer codes.
	organIDNew = regexp.MustCompile(`^[0-9A-Z]+(\.[0-9A-Z]+)*$`)
	uuidShape  = regexp.MustCompile(`^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$`)
)

// Validate checks an envelope read by Read: required elements, formats, field lengths, the
// document id against the code and date, and the manifest against the attachments. Quirks the
// reader tolerated come first, as warnings.
func Validate(e *Envelope) []Finding {
	v := &validator{e: e}
	v.findings = append(v.findings, e.Quirks...)
	if e.IsStatus() {
		v.status()
	} else {
		v.document()
	}
	v.manifest()
	return v.findings
}

type validator struct {
	e        *Envelope
	findings []Finding
}

const mh = "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/"

// at finds the position of an element by its path under MessageHeader (or the whole path).
func (v *validator) at(path string) (Pos, string) {
	full := path
	if !strings.HasPrefix(path, "edXML") {
		full = mh + path
	}
	if p, ok := v.e.positions[full]; ok {
		return p, full
	}
	// the nearest ancestor that exists
	for q := full; strings.Contains(q, "/"); {
		q = q[:strings.LastIndex(q, "/")]
		if p, ok := v.e.positions[q]; ok {
			return p, full
		}
	}
	return Pos{}, full
}

func (v *validator) add(sev Severity, rule, path, format string, args ...any) {
	p, full := v.at(path)
	v.findings = append(v.findings, Finding{Severity: sev, Rule: rule, Pos: p, Path: full, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) required(path, value string) bool {
	if strings.TrimSpace(value) == "" {
		if _, ok := v.e.positions[mh+path]; ok {
			v.add(Error, "required", path, "%s is empty", path)
		} else {
			v.add(Error, "required", path, "%s is missing", path)
		}
		return false
	}
	return true
}

func (v *validator) date(path, value string, needed bool) {
	if value == "" {
		if needed {
			v.required(path, value)
		}
		return
	}
	if _, err := time.Parse(DateLayout, value); err != nil {
		v.add(Error, "format.date", path, "%s %q is not a date yyyy/MM/dd", path, value)
	}
}

func (v *validator) timestamp(path, value string) {
	if !v.required(path, value) {
		return
	}
	if _, err := time.Parse(TimestampLayout, value); err != nil {
		v.add(Error, "format.timestamp", path, "%s %q is not a time yyyy/MM/dd HH:mm:ss", path, value)
	}
}

func (v *validator) organID(path, id string) {
	if !v.required(path, id) {
		return
	}
	switch {
	case organIDQCVN.MatchString(id):
	case organIDNew.MatchString(id) && len(id) <= 35:
	default:
		v.add(Warning, "format.organ-id", path, "%s %q has neither the QCVN 102 shape (000.00.00.H49) nor that of Decision 20/2020 (up to 35 of 0-9, A-Z and dots)", path, id)
	}
}

func (v *validator) digits(path, value string, sev Severity) {
	if value == "" {
		return
	}
	if _, err := strconv.ParseUint(value, 10, 32); err != nil {
		v.add(sev, "format.number", path, "%s %q is not a number", path, value)
	}
}

func (v *validator) lengths() {
	h := &v.e.Header
	values := map[string][]string{
		"Code/CodeNumber": {h.Code.Number}, "Code/CodeNotation": {h.Code.Notation}, "From/OrganName": {h.From.OrganName},
		"Subject": {h.Subject}, "DocumentType/TypeName": {h.DocumentType.TypeName}, "SignerInfo/Position": {h.Signer.Position},
		"SignerInfo/FullName": {h.Signer.FullName}, "OtherInfo/PageAmount": {h.OtherInfo.PageAmount}, "OtherInfo/Priority": {h.OtherInfo.Priority},
	}
	for _, t := range h.To {
		values["To/OrganName"] = append(values["To/OrganName"], t.OrganName)
	}
	for _, f := range fieldLengths {
		for i, s := range values[f.path] {
			if n := utf8.RuneCountInString(s); n > f.max {
				path := f.path
				if f.path == "To/OrganName" && i > 0 {
					path = fmt.Sprintf("To[%d]/OrganName", i+1)
				}
				v.add(Error, "length", path, "%s is %d characters long; Decree 30 Appendix VI allows %d", f.path, n, f.max)
			}
		}
	}
}

// sender checks the From of a document or a status message.
func (v *validator) sender() {
	v.organID("From/OrganId", v.e.Header.From.OrganID)
	v.required("From/OrganName", v.e.Header.From.OrganName)
}

func (v *validator) document() {
	h := &v.e.Header
	v.sender()
	if len(h.To) == 0 {
		v.add(Error, "required", "To", "a document has no recipient (To)")
	}
	for i, t := range h.To {
		path := "To"
		if i > 0 {
			path = fmt.Sprintf("To[%d]", i+1)
		}
		v.organID(path+"/OrganId", t.OrganID)
	}
	v.required("Code/CodeNumber", h.Code.Number)
	v.required("Code/CodeNotation", h.Code.Notation)
	v.digits("Code/CodeNumber", h.Code.Number, Warning)
	v.date("PromulgationInfo/PromulgationDate", h.Promulgation.Date, true)
	v.required("DocumentType/TypeName", h.DocumentType.TypeName)
	v.digits("DocumentType/Type", h.DocumentType.Type, Error)
	v.digits("DocumentType/TypeDetail", h.DocumentType.TypeDetail, Error)
	v.required("Subject", h.Subject)
	v.required("SignerInfo/FullName", h.Signer.FullName)
	v.date("DueDate", h.DueDate, false)
	v.digits("OtherInfo/Priority", h.OtherInfo.Priority, Error)
	v.digits("OtherInfo/PromulgationAmount", h.OtherInfo.PromulgationAmount, Error)
	v.digits("OtherInfo/PageAmount", h.OtherInfo.PageAmount, Error)
	if s := h.SteeringType; s != "" && s != "0" && s != "1" && s != "2" {
		v.add(Warning, "format.steering-type", "SteeringType", "SteeringType %q is none of 0, 1, 2", s)
	}
	for i, r := range h.ResponseFor {
		v.responseFor(i, r)
	}
	v.lengths()
	v.documentID()
	v.trace()
}

// documentID checks the document id against the sender, date and code it repeats.
func (v *validator) documentID() {
	h := &v.e.Header
	id := h.DocumentID
	if !v.required("DocumentId", id) {
		return
	}
	if uuidShape.MatchString(id) {
		v.add(Warning, "documentid.uuid", "DocumentId", "DocumentId %q is a UUID, not <OrganId>,<yyyy/MM/dd>,<number>/<notation> (some gateways send these)", id)
		return
	}
	want := DocumentID(h.From.OrganID, h.Promulgation.Date, h.Code.Number, h.Code.Notation)
	if id != want {
		v.add(Warning, "documentid.consistency", "DocumentId", "DocumentId %q does not match the sender, date and code it should repeat (%q)", id, want)
	}
}

func (v *validator) responseFor(i int, r ResponseFor) {
	path := "ResponseFor"
	if i > 0 {
		path = fmt.Sprintf("ResponseFor[%d]", i+1)
	}
	v.required(path+"/DocumentId", r.DocumentID)
	if r.OrganID != "" {
		v.organID(path+"/OrganId", r.OrganID)
	}
	v.date(path+"/PromulgationDate", r.PromulgationDate, false)
}

const trace = "edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList"

func (v *validator) trace() {
	t := v.e.Trace
	if t == nil {
		v.add(Warning, "required", trace, "a document has no TraceHeaderList (the SDK always writes one)")
		return
	}
	for i, hop := range t.Hops {
		path := trace + "/TraceHeader"
		if i > 0 {
			path += fmt.Sprintf("[%d]", i+1)
		}
		v.organID(path+"/OrganId", hop.OrganID)
		v.timestamp(path+"/Timestamp", hop.Timestamp)
	}
	b := t.Business
	if b == nil {
		v.add(Error, "required", trace+"/Bussiness", "TraceHeaderList has no Bussiness (new, revoke, update or replace)")
		return
	}
	bp := trace + "/Bussiness"
	switch b.DocType {
	case BusinessNew:
	case BusinessRevoke, BusinessUpdate, BusinessReplace:
		if b.DocumentID == "" && len(v.e.Header.ResponseFor) == 0 && len(b.Replacements) == 0 {
			v.add(Warning, "business.reference", bp, "a revocation, update or replacement names no earlier document (Bussiness/DocumentId or ResponseFor)")
		}
	case "":
		v.required(bp+"/BussinessDocType", "")
	default:
		v.add(Error, "business.doc-type", bp+"/BussinessDocType", "BussinessDocType %q is none of 0 (new), 1 (revoke), 2 (update), 3 (replace)", b.DocType)
	}
	if b.DocType == BusinessUpdate && b.DocumentInfo == nil {
		v.add(Warning, "business.update-info", bp, "an update has no BussinessDocumentInfo (what changed, who receives it)")
	}
	if b.DocType == BusinessReplace && len(b.Replacements) == 0 {
		v.add(Error, "business.replacement-info", bp, "a replacement has no ReplacementInfoList")
	}
	if p := b.Paper; p != "" && p != "0" && p != "1" {
		v.add(Error, "format.paper", bp+"/Paper", "Paper %q is neither 0 nor 1", p)
	}
	if b.DocumentID != "" && !uuidShape.MatchString(b.DocumentID) {
		v.referencedID(bp+"/DocumentId", b.DocumentID)
	}
}

// referencedID checks the shape of an id naming another document: a warning only, since it is
// another system's.
func (v *validator) referencedID(path, id string) {
	parts := strings.SplitN(id, ",", 3)
	if len(parts) != 3 {
		v.add(Warning, "documentid.shape", path, "%q is not <OrganId>,<yyyy/MM/dd>,<number>/<notation>", id)
		return
	}
	if _, err := time.Parse(DateLayout, parts[1]); err != nil {
		v.add(Warning, "documentid.date", path, "the date %q in %q is not a date", parts[1], id)
	}
}

func (v *validator) status() {
	h := &v.e.Header
	v.sender()
	if len(h.ResponseFor) == 0 {
		v.add(Error, "required", "ResponseFor", "a status message names no document (ResponseFor)")
	}
	for i, r := range h.ResponseFor {
		v.responseFor(i, r)
	}
	if _, ok := StatusCodes[h.StatusCode]; !ok {
		v.add(Error, "status.code", "StatusCode", "StatusCode %q is none of 01-06, 13, 15, 16", h.StatusCode)
	}
	if h.Description == "" {
		v.add(Warning, "required", "Description", "the status has no Description")
	}
	v.timestamp("Timestamp", h.Timestamp)
	if len(v.e.Attachments) > 0 {
		v.add(Error, "status.attachments", "edXML/AttachmentEncoded", "a status message carries attachments")
	}
}

const (
	manifestPath   = "edXML/edXMLEnvelope/edXMLBody/edXMLManifest"
	attachmentPath = "edXML/AttachmentEncoded"
)

// manifest checks that every reference has its attachment and back, with matching types.
func (v *validator) manifest() {
	e := v.e
	if e.IsStatus() {
		return
	}
	if len(e.manifest) == 0 {
		v.add(Error, "manifest.empty", manifestPath, "the manifest references no attachment: a document travels as one")
	}
	seen := map[string]bool{}
	for i, m := range e.manifest {
		path := manifestPath + "/Reference" + nth(i)
		if !strings.HasPrefix(m.ContentID, "cid:") {
			v.add(Warning, "manifest.content-id", path+"/ContentId", "ContentId %q does not start with cid:", m.ContentID)
		}
		if seen[m.ContentID] {
			v.add(Error, "manifest.duplicate", path+"/ContentId", "ContentId %q is referenced twice", m.ContentID)
		}
		seen[m.ContentID] = true
		if !slices.ContainsFunc(e.attached, func(a Attachment) bool { return a.ContentID == m.ContentID }) {
			v.add(Error, "manifest.missing-attachment", path, "the reference %s (%s) has no attachment", m.ContentID, m.Name)
		}
	}
	seenAttached := map[string]bool{}
	for i, a := range e.attached {
		path := attachmentPath + "/Attachment" + nth(i)
		if seenAttached[a.ContentID] {
			v.add(Error, "attachment.duplicate", path+"/ContentId", "two attachments have the ContentId %q", a.ContentID)
		}
		seenAttached[a.ContentID] = true
		ref := slices.IndexFunc(e.manifest, func(m Attachment) bool { return m.ContentID == a.ContentID })
		if ref < 0 {
			v.add(Error, "manifest.unreferenced-attachment", path, "the attachment %s (%s) is not in the manifest", a.ContentID, a.Name)
		} else if m := e.manifest[ref]; m.Name != a.Name || m.ContentType != a.ContentType {
			v.add(Warning, "manifest.mismatch", path, "the attachment %s is %q (%s), the manifest says %q (%s)", a.ContentID, a.Name, a.ContentType, m.Name, m.ContentType)
		}
		if a.Size == 0 {
			v.add(Error, "attachment.empty", path, "the attachment %s (%s) is empty", a.ContentID, a.Name)
			continue
		}
		if want := sniffType(a.sniff); want != "" && !typeAgrees(a.ContentType, a.Name, want) {
			v.add(Error, "attachment.content-type", path+"/ContentType", "the attachment %s (%s) is labelled %s but its bytes are %s", a.ContentID, a.Name, a.ContentType, want)
		}
	}
}

func nth(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf("[%d]", i+1)
}

// sniffType names the format of an attachment's first bytes, "" when it is none we know.
func sniffType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "PDF"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return "zip"
	case bytes.HasPrefix(b, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return "OLE (doc/xls)"
	}
	if i := bytes.Index(b[:min(len(b), 1024)], []byte("%PDF-")); i > 0 {
		return "PDF"
	}
	return ""
}

// typeAgrees reports whether a declared content type (or, for generic types, the name) fits
// the format the bytes are in.
func typeAgrees(contentType, name, format string) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	ext := strings.ToLower(name[strings.LastIndex(name, ".")+1:])
	switch ct {
	case "application/pdf":
		return format == "PDF"
	case "application/zip", "application/x-zip-compressed",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return format == "zip"
	case "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint":
		return format == "OLE (doc/xls)"
	case "application/octet-stream", "":
		switch ext {
		case "pdf":
			return format == "PDF"
		case "zip", "docx", "xlsx", "pptx":
			return format == "zip"
		case "doc", "xls", "ppt":
			return format == "OLE (doc/xls)"
		}
	}
	return true // a type we do not judge
}
