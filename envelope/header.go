// Package envelope reads and writes edXML envelopes (QCVN 102:2016/BTTTT), the format Vietnamese
// agencies exchange documents in. Elements are matched on namespace and local name, never on
// the prefix; input is bounded and no external entity is ever resolved.
package envelope

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Namespace of edXML elements.
const Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

// MaxHeader bounds the bytes read before and inside the header: attachments come after it and
// are never read to get the header.
const MaxHeader = 16 << 20

// Organization is a From or To party.
type Organization struct {
	OrganID              string `xml:"OrganId" json:"organ_id"`
	OrganizationInCharge string `xml:"OrganizationInCharge" json:"organization_in_charge,omitempty"`
	OrganName            string `xml:"OrganName" json:"organ_name"`
	OrganAdd             string `xml:"OrganAdd" json:"organ_add,omitempty"`
	Email                string `xml:"Email" json:"email,omitempty"`
	Telephone            string `xml:"Telephone" json:"telephone,omitempty"`
	Fax                  string `xml:"Fax" json:"fax,omitempty"`
	Website              string `xml:"Website" json:"website,omitempty"`
}

// MessageHeader is the part of edXMLHeader/MessageHeader a register needs, for documents and
// status messages alike.
type MessageHeader struct {
	From       Organization   `xml:"From" json:"from"`
	To         []Organization `xml:"To" json:"to,omitempty"`
	DocumentID string         `xml:"DocumentId" json:"document_id,omitempty"`
	Code       struct {
		Number   string `xml:"CodeNumber" json:"number"`
		Notation string `xml:"CodeNotation" json:"notation"`
	} `xml:"Code" json:"code"`
	Promulgation struct {
		Place string `xml:"Place" json:"place,omitempty"`
		Date  string `xml:"PromulgationDate" json:"date,omitempty"` // yyyy/MM/dd
	} `xml:"PromulgationInfo" json:"promulgation"`
	DocumentType struct {
		Type       string `xml:"Type" json:"type,omitempty"`
		TypeDetail string `xml:"TypeDetail" json:"type_detail,omitempty"`
		TypeName   string `xml:"TypeName" json:"type_name,omitempty"`
	} `xml:"DocumentType" json:"document_type"`
	Subject string `xml:"Subject" json:"subject,omitempty"`
	Signer  struct {
		Competence string `xml:"Competence" json:"competence,omitempty"`
		Position   string `xml:"Position" json:"position,omitempty"`
		FullName   string `xml:"FullName" json:"full_name,omitempty"`
	} `xml:"SignerInfo" json:"signer"`
	StatusCode string `xml:"StatusCode" json:"status_code,omitempty"`
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

// ErrNotEdXML is input that is not an edXML envelope.
var ErrNotEdXML = errors.New("not an edXML envelope")

// ReadHeader reads the MessageHeader of an envelope, stopping once it has it. Bytes before the
// first '<' (some SDKs write junk there) are skipped.
func ReadHeader(r io.Reader) (*MessageHeader, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxHeader))
	for skipped := 0; ; skipped++ {
		b, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: no XML found", ErrNotEdXML)
		}
		if b == '<' {
			br.UnreadByte()
			break
		}
		if skipped > 1024 {
			return nil, fmt.Errorf("%w: no XML in the first KiB", ErrNotEdXML)
		}
	}
	dec := xml.NewDecoder(br)
	dec.Strict = true // undefined entities are errors; external entities are never fetched
	dec.Entity = nil
	sawRoot := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: no MessageHeader", ErrNotEdXML)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotEdXML, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !sawRoot {
			if se.Name.Space != Namespace || se.Name.Local != "edXML" {
				return nil, fmt.Errorf("%w: root element is {%s}%s, want {%s}edXML", ErrNotEdXML, se.Name.Space, se.Name.Local, Namespace)
			}
			sawRoot = true
			continue
		}
		if se.Name.Space == Namespace && se.Name.Local == "MessageHeader" {
			var h MessageHeader
			if err := dec.DecodeElement(&h, &se); err != nil {
				return nil, fmt.Errorf("%w: MessageHeader: %v", ErrNotEdXML, err)
			}
			trim(&h)
			return &h, nil
		}
	}
}

func trim(h *MessageHeader) {
	for _, p := range []*string{&h.DocumentID, &h.Code.Number, &h.Code.Notation, &h.Promulgation.Place, &h.Promulgation.Date,
		&h.DocumentType.TypeName, &h.Subject, &h.Signer.FullName, &h.Signer.Position, &h.Signer.Competence,
		&h.From.OrganID, &h.From.OrganName, &h.StatusCode} {
		*p = strings.TrimSpace(*p)
	}
}
