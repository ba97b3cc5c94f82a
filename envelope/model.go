// Package envelope reads and writes edXML envelopes (QCVN 102:2016/BTTTT), the format Vietnamese
// agencies exchange documents in through the national platform. There is no public schema: the
// layout written is the one the platform's SDK writes, element for element, and the reader takes
// what real producers send (elements in any order, prefixed or not, junk before the XML, empty
// elements, UUID document ids). Elements are matched on namespace and local name, never on the
// prefix; input is bounded and no external entity or DTD is ever processed. Attachments are
// streamed: an envelope of gigabytes is packed and unpacked in constant memory.
package envelope

import (
	"fmt"
	"strings"
	"time"
)

// Namespace of edXML elements.
const Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

// DSigNamespace is XML-DSig's namespace, where a Signature belongs (older producers put it in
// edXML's).
const DSigNamespace = "http://www.w3.org/2000/09/xmldsig#"

// Envelope is a document envelope or a status message.
type Envelope struct {
	Header MessageHeader `json:"header" yaml:"header"`
	// Trace is a document's TraceHeaderList (nil in status messages).
	Trace *TraceHeaderList `json:"trace,omitempty" yaml:"trace,omitempty"`
	// Attachments are the manifest's references joined with the attached files, in the
	// manifest's order (then attachments the manifest does not name).
	Attachments []Attachment `json:"attachments,omitempty" yaml:"attachments,omitempty"`
	// Signed says an XML-DSig Signature is in the header (checked by VerifySignature).
	Signed bool `json:"signed,omitempty" yaml:"-"`
	// Quirks are what the reader tolerated, a sentence each (junk before the XML, elements out
	// of the edXML namespace, wrapped Base64…).
	Quirks    []Finding `json:"quirks,omitempty" yaml:"-"`
	hasHeader bool
	// status: the header has a StatusCode element, even an empty one.
	status bool
	// positions maps element paths to where they were read (for validation findings).
	positions map[string]Pos
	// manifest and attached are what each side listed, for the consistency rules.
	manifest []Attachment
	attached []Attachment
}

// IsStatus reports whether the envelope is a status message rather than a document.
func (e *Envelope) IsStatus() bool { return e.Header.StatusCode != "" || e.status }

// Organization is a From or To party.
type Organization struct {
	OrganID              string `json:"organ_id" yaml:"organ_id"`
	OrganizationInCharge string `json:"organization_in_charge,omitempty" yaml:"organization_in_charge,omitempty"`
	OrganName            string `json:"organ_name" yaml:"organ_name"`
	OrganAdd             string `json:"organ_add,omitempty" yaml:"organ_add,omitempty"`
	Email                string `json:"email,omitempty" yaml:"email,omitempty"`
	Telephone            string `json:"telephone,omitempty" yaml:"telephone,omitempty"`
	Fax                  string `json:"fax,omitempty" yaml:"fax,omitempty"`
	Website              string `json:"website,omitempty" yaml:"website,omitempty"`
}

// Code is a document's number and notation, as the sender wrote them.
type Code struct {
	Number   string `json:"number" yaml:"number"`
	Notation string `json:"notation" yaml:"notation"`
}

// Promulgation is where and when a document was issued.
type Promulgation struct {
	Place string `json:"place,omitempty" yaml:"place,omitempty"`
	Date  string `json:"date,omitempty" yaml:"date,omitempty"` // yyyy/MM/dd
}

// DocumentType is a document's type: codes whose list is not public, and its name.
type DocumentType struct {
	Type       string `json:"type,omitempty" yaml:"type,omitempty"`
	TypeDetail string `json:"type_detail,omitempty" yaml:"type_detail,omitempty"`
	TypeName   string `json:"type_name,omitempty" yaml:"type_name,omitempty"`
}

// Signer is who signed the document: competence (TM., KT., TL. …), position and name.
type Signer struct {
	Competence string `json:"competence,omitempty" yaml:"competence,omitempty"`
	Position   string `json:"position,omitempty" yaml:"position,omitempty"`
	FullName   string `json:"full_name,omitempty" yaml:"full_name,omitempty"`
}

// OtherInfo is a document's urgency, scope and counts.
type OtherInfo struct {
	Priority             string   `json:"priority,omitempty" yaml:"priority,omitempty"`
	SphereOfPromulgation string   `json:"sphere_of_promulgation,omitempty" yaml:"sphere_of_promulgation,omitempty"`
	TyperNotation        string   `json:"typer_notation,omitempty" yaml:"typer_notation,omitempty"`
	PromulgationAmount   string   `json:"promulgation_amount,omitempty" yaml:"promulgation_amount,omitempty"`
	PageAmount           string   `json:"page_amount,omitempty" yaml:"page_amount,omitempty"`
	Appendixes           []string `json:"appendixes,omitempty" yaml:"appendixes,omitempty"`
	// Extra are the simple elements SDKs add (Direction…), kept in order.
	Extra []Field `json:"extra,omitempty" yaml:"extra,omitempty"`
}

// Field is an element with text that the model does not name.
type Field struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
}

// ResponseFor names the document a message answers, revokes or replaces.
type ResponseFor struct {
	OrganID          string `json:"organ_id,omitempty" yaml:"organ_id,omitempty"`
	Code             string `json:"code,omitempty" yaml:"code,omitempty"` // "number/notation"
	PromulgationDate string `json:"promulgation_date,omitempty" yaml:"promulgation_date,omitempty"`
	DocumentID       string `json:"document_id,omitempty" yaml:"document_id,omitempty"`
}

// StaffInfo is the clerk behind a message.
type StaffInfo struct {
	Department string `json:"department,omitempty" yaml:"department,omitempty"`
	Staff      string `json:"staff,omitempty" yaml:"staff,omitempty"`
	Email      string `json:"email,omitempty" yaml:"email,omitempty"`
	Mobile     string `json:"mobile,omitempty" yaml:"mobile,omitempty"`
}

// MessageHeader is edXMLHeader/MessageHeader, of a document or of a status message.
type MessageHeader struct {
	From         Organization   `json:"from" yaml:"from"`
	To           []Organization `json:"to,omitempty" yaml:"to,omitempty"`
	DocumentID   string         `json:"document_id,omitempty" yaml:"document_id,omitempty"`
	Code         Code           `json:"code" yaml:"code"`
	Promulgation Promulgation   `json:"promulgation" yaml:"promulgation"`
	DocumentType DocumentType   `json:"document_type" yaml:"document_type"`
	Subject      string         `json:"subject,omitempty" yaml:"subject,omitempty"`
	Content      string         `json:"content,omitempty" yaml:"content,omitempty"`
	Signer       Signer         `json:"signer" yaml:"signer"`
	DueDate      string         `json:"due_date,omitempty" yaml:"due_date,omitempty"`
	OtherInfo    OtherInfo      `json:"other_info" yaml:"other_info"`
	ResponseFor  []ResponseFor  `json:"response_for,omitempty" yaml:"response_for,omitempty"`
	SteeringType string         `json:"steering_type,omitempty" yaml:"steering_type,omitempty"`
	ToPlaces     []string       `json:"to_places,omitempty" yaml:"to_places,omitempty"`

	// A status message's own elements.
	StaffInfo   *StaffInfo `json:"staff_info,omitempty" yaml:"staff_info,omitempty"`
	StatusCode  string     `json:"status_code,omitempty" yaml:"status_code,omitempty"`
	Description string     `json:"description,omitempty" yaml:"description,omitempty"`
	Timestamp   string     `json:"timestamp,omitempty" yaml:"timestamp,omitempty"` // yyyy/MM/dd HH:mm:ss
}

// IsDocument reports whether the header is a document's (not a status message's).
func (h *MessageHeader) IsDocument() bool { return h.StatusCode == "" }

// CodeText is the sender's number and notation as written: "7816/VPCP-TTĐT".
func (h *MessageHeader) CodeText() string {
	n, no := strings.TrimSpace(h.Code.Number), strings.TrimSpace(h.Code.Notation)
	switch {
	case n == "":
		return no
	case no == "":
		return n
	}
	return n + "/" + no
}

// TraceHeaderList is the relay hops a document went through and what it does to earlier ones.
type TraceHeaderList struct {
	Hops     []TraceHeader `json:"hops,omitempty" yaml:"hops,omitempty"`
	Business *Business     `json:"business,omitempty" yaml:"business,omitempty"`
}

// TraceHeader is a hop: who relayed the document, when.
type TraceHeader struct {
	OrganID   string `json:"organ_id" yaml:"organ_id"`
	Timestamp string `json:"timestamp" yaml:"timestamp"` // yyyy/MM/dd HH:mm:ss
}

// Business types (BussinessDocType).
const (
	BusinessNew     = "0"
	BusinessRevoke  = "1"
	BusinessUpdate  = "2"
	BusinessReplace = "3"
)

// BusinessTypes maps the command line's words to BussinessDocType.
var BusinessTypes = map[string]string{"new": BusinessNew, "revoke": BusinessRevoke, "update": BusinessUpdate, "replace": BusinessReplace}

// Business is TraceHeaderList/Bussiness (sic): whether the document is new, or revokes, updates
// or replaces an earlier one.
type Business struct {
	DocumentID   string            `json:"document_id,omitempty" yaml:"document_id,omitempty"`
	DocType      string            `json:"doc_type" yaml:"doc_type"` // 0 new, 1 revoke, 2 update, 3 replace
	Reason       string            `json:"reason,omitempty" yaml:"reason,omitempty"`
	Paper        string            `json:"paper,omitempty" yaml:"paper,omitempty"` // 0/1: a paper copy follows
	DocumentInfo *BusinessDocument `json:"document_info,omitempty" yaml:"document_info,omitempty"`
	Replacements []ReplacementInfo `json:"replacements,omitempty" yaml:"replacements,omitempty"`
	StaffInfo    *StaffInfo        `json:"staff_info,omitempty" yaml:"staff_info,omitempty"`
	Extra        []Field           `json:"extra,omitempty" yaml:"extra,omitempty"`
}

// BusinessDocument says, for an update, what changed and who receives it.
type BusinessDocument struct {
	DocumentInfo     string     `json:"document_info,omitempty" yaml:"document_info,omitempty"`
	DocumentReceiver string     `json:"document_receiver,omitempty" yaml:"document_receiver,omitempty"`
	Receivers        []Receiver `json:"receivers,omitempty" yaml:"receivers,omitempty"`
}

// Receiver is a recipient of an update.
type Receiver struct {
	OrganID      string `json:"organ_id" yaml:"organ_id"`
	ReceiverType string `json:"receiver_type,omitempty" yaml:"receiver_type,omitempty"`
}

// ReplacementInfo names a document a replacement replaces, at which recipients.
type ReplacementInfo struct {
	DocumentID string   `json:"document_id" yaml:"document_id"`
	OrganIDs   []string `json:"organ_ids,omitempty" yaml:"organ_ids,omitempty"`
}

// Attachment is a manifest reference and its attached file.
type Attachment struct {
	ContentID   string `json:"content_id" yaml:"content_id"` // "cid:…"
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	ContentType string `json:"content_type" yaml:"content_type"`
	// Size and SHA256 are of the decoded bytes, filled by the reader.
	Size   int64  `json:"size" yaml:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty" yaml:"sha256,omitempty"`
	// File is where unpack wrote it, or where pack reads it from (relative to meta.yaml).
	File string `json:"file,omitempty" yaml:"file,omitempty"`
	// Zipped says the file travels inside a one-entry zip, as the SDK sends files of types
	// other than pdf/doc/docx/xls/xlsx/zip; Entry is the name inside it.
	Zipped bool   `json:"zipped,omitempty" yaml:"zipped,omitempty"`
	Entry  string `json:"zip_entry,omitempty" yaml:"zip_entry,omitempty"`
	// sniff is the first bytes decoded, to compare the content type with.
	sniff []byte
	// attached is the attachment's place among the contents read, from 1 (0: none read).
	attached int
}

// Pos is where an element starts in the envelope.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Status codes of status messages, and what each says by default.
var StatusCodes = map[string]string{
	"01": "Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý",
	"02": "Từ chối tiếp nhận văn bản điện tử",
	"03": "Tiếp nhận văn bản điện tử, vào sổ văn bản đến",
	"04": "Phân công xử lý",
	"05": "Đang xử lý",
	"06": "Hoàn thành xử lý",
	"13": "Yêu cầu lấy lại văn bản điện tử",
	"15": "Đồng ý yêu cầu cập nhật, lấy lại",
	"16": "Từ chối yêu cầu cập nhật, lấy lại",
}

// Date and time layouts of edXML (Vietnam local time, no zone).
const (
	DateLayout      = "2006/01/02"
	TimestampLayout = "2006/01/02 15:04:05"
)

// Zone is Vietnam's time (UTC+7, no daylight saving), in which edXML dates are written.
func Zone() *time.Location { return time.FixedZone("ICT", 7*3600) }

// DocumentID is the canonical document id: "<sender OrganId>,<yyyy/MM/dd>,<number>/<notation>".
func DocumentID(organID, date, number, notation string) string {
	code := number
	if notation != "" {
		code += "/" + notation
	}
	return fmt.Sprintf("%s,%s,%s", organID, date, code)
}

// Incoming is what an incoming register records of a received document, read from its
// envelope: the sender, their number and notation as written, their date (yyyy-mm-dd), the
// DocumentId as received, the summary and the type's name.
type Incoming struct {
	Organ, OrganID, Code, Date, DocumentID, Subject, TypeName string
}

// Incoming maps a document's header to what the incoming register records.
func (h *MessageHeader) Incoming() Incoming {
	return Incoming{Organ: h.From.OrganName, OrganID: h.From.OrganID, Code: h.CodeText(),
		Date: strings.ReplaceAll(h.Promulgation.Date, "/", "-"), DocumentID: h.DocumentID,
		Subject: h.Subject, TypeName: h.DocumentType.TypeName}
}
