package envelope

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	base64 "github.com/segmentio/asm/base64" // SIMD: 10-20x encoding/base64 on 1 MB bodies
)

// Content is an attached file's bytes, opened when the envelope is written.
type Content func() (io.ReadCloser, error)

// Write writes an envelope in the layout the platform's SDK writes: the edXML namespace as the
// root's default and under the `edXML:` prefix inside the envelope, its elements in the SDK's
// order, two-space indentation, attachments outside the envelope with their Base64 on one line.
// contents gives each attachment's bytes, in the order of e.Attachments (they are streamed:
// memory does not grow with their size). A status message has no body and no attachments.
// The envelope is unsigned: Sign adds the signature.
func Write(w io.Writer, e *Envelope, contents []Content) error {
	if len(contents) != len(e.Attachments) {
		return fmt.Errorf("envelope: %d attachments but %d contents", len(e.Attachments), len(contents))
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	x := &xw{w: bw}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<edXML xmlns="` + Namespace + `">` + "\n")
	x.open(1, `edXML:edXMLEnvelope xmlns:edXML="`+Namespace+`"`)
	x.open(2, "edXML:edXMLHeader")
	writeHeader(x, &e.Header, e.IsStatus())
	if e.Trace != nil && !e.IsStatus() {
		writeTrace(x, e.Trace)
	}
	x.close(2, "edXML:edXMLHeader")
	if !e.IsStatus() {
		x.open(2, "edXML:edXMLBody")
		x.open(3, `edXML:edXMLManifest version="1.0"`)
		for _, a := range e.Attachments {
			x.open(4, "edXML:Reference")
			x.elem(5, "edXML:ContentId", a.ContentID)
			x.elem(5, "edXML:ContentType", a.ContentType)
			x.elem(5, "edXML:Description", a.Description)
			x.elem(5, "edXML:AttachmentName", a.Name)
			x.close(4, "edXML:Reference")
		}
		x.close(3, "edXML:edXMLManifest")
		x.close(2, "edXML:edXMLBody")
	}
	x.close(1, "edXML:edXMLEnvelope")
	if len(e.Attachments) > 0 {
		x.raw("  <AttachmentEncoded>\n")
		for i, a := range e.Attachments {
			x.raw("    <Attachment>\n")
			for _, f := range [][2]string{{"ContentId", a.ContentID}, {"AttachmentName", a.Name}, {"Description", a.Description}, {"ContentType", a.ContentType}} {
				x.raw("      <" + f[0] + ">")
				x.text(f[1])
				x.raw("</" + f[0] + ">\n")
			}
			x.raw(`      <edXML:ContentTransferEncoded xmlns:edXML="` + Namespace + `">`)
			if x.err == nil {
				x.err = encodeContent(bw, contents[i])
			}
			x.raw("</edXML:ContentTransferEncoded>\n")
			x.raw("    </Attachment>\n")
		}
		x.raw("  </AttachmentEncoded>\n")
	}
	x.raw("</edXML>\n")
	if x.err != nil {
		return x.err
	}
	return bw.Flush()
}

// encodeContent streams an attachment's bytes as Base64 on one line.
func encodeContent(w io.Writer, open Content) error {
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	in := make([]byte, 3<<16) // a multiple of 3: each block encodes to whole quantums, no padding
	out := make([]byte, base64.StdEncoding.EncodedLen(len(in)))
	for {
		n, err := io.ReadFull(r, in)
		if n > 0 {
			base64.StdEncoding.Encode(out, in[:n])
			if _, werr := w.Write(out[:base64.StdEncoding.EncodedLen(n)]); werr != nil {
				return werr
			}
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return nil
		default:
			return err
		}
	}
}

func writeOrgan(x *xw, d int, name string, o Organization) {
	x.open(d, "edXML:"+name)
	for _, f := range [][2]string{{"OrganId", o.OrganID}, {"OrganizationInCharge", o.OrganizationInCharge}, {"OrganName", o.OrganName},
		{"OrganAdd", o.OrganAdd}, {"Email", o.Email}, {"Telephone", o.Telephone}, {"Fax", o.Fax}, {"Website", o.Website}} {
		x.elem(d+1, "edXML:"+f[0], f[1])
	}
	x.close(d, "edXML:"+name)
}

func writeStaff(x *xw, d int, s *StaffInfo) {
	if s == nil {
		return
	}
	x.open(d, "edXML:StaffInfo")
	x.elem(d+1, "edXML:Department", s.Department)
	x.elem(d+1, "edXML:Staff", s.Staff)
	x.elem(d+1, "edXML:Email", s.Email)
	x.elem(d+1, "edXML:Mobile", s.Mobile)
	x.close(d, "edXML:StaffInfo")
}

func writeResponseFor(x *xw, rs []ResponseFor) {
	for _, r := range rs {
		x.open(4, "edXML:ResponseFor")
		x.elem(5, "edXML:OrganId", r.OrganID)
		x.elem(5, "edXML:Code", r.Code)
		x.elem(5, "edXML:DocumentId", r.DocumentID)
		x.elem(5, "edXML:PromulgationDate", r.PromulgationDate)
		x.close(4, "edXML:ResponseFor")
	}
}

func writeHeader(x *xw, h *MessageHeader, status bool) {
	x.open(3, "edXML:MessageHeader")
	writeOrgan(x, 4, "From", h.From)
	if status {
		writeResponseFor(x, h.ResponseFor)
		writeStaff(x, 4, h.StaffInfo)
		x.elem(4, "edXML:StatusCode", h.StatusCode)
		x.elem(4, "edXML:Description", h.Description)
		x.elem(4, "edXML:Timestamp", h.Timestamp)
		x.close(3, "edXML:MessageHeader")
		return
	}
	for _, t := range h.To {
		writeOrgan(x, 4, "To", t)
	}
	x.elem(4, "edXML:DocumentId", h.DocumentID)
	x.open(4, "edXML:Code")
	x.elem(5, "edXML:CodeNumber", h.Code.Number)
	x.elem(5, "edXML:CodeNotation", h.Code.Notation)
	x.close(4, "edXML:Code")
	x.open(4, "edXML:PromulgationInfo")
	x.elem(5, "edXML:Place", h.Promulgation.Place)
	x.elem(5, "edXML:PromulgationDate", h.Promulgation.Date)
	x.close(4, "edXML:PromulgationInfo")
	x.open(4, "edXML:DocumentType")
	x.elem(5, "edXML:Type", h.DocumentType.Type)
	x.elem(5, "edXML:TypeDetail", h.DocumentType.TypeDetail)
	x.elem(5, "edXML:TypeName", h.DocumentType.TypeName)
	x.close(4, "edXML:DocumentType")
	x.elem(4, "edXML:Subject", h.Subject)
	x.optional(4, "edXML:Content", h.Content)
	x.open(4, "edXML:SignerInfo")
	x.elem(5, "edXML:Competence", h.Signer.Competence)
	x.elem(5, "edXML:Position", h.Signer.Position)
	x.elem(5, "edXML:FullName", h.Signer.FullName)
	x.close(4, "edXML:SignerInfo")
	x.optional(4, "edXML:DueDate", h.DueDate)
	o := h.OtherInfo
	x.open(4, "edXML:OtherInfo")
	x.elem(5, "edXML:Priority", o.Priority)
	x.elem(5, "edXML:SphereOfPromulgation", o.SphereOfPromulgation)
	x.elem(5, "edXML:TyperNotation", o.TyperNotation)
	x.elem(5, "edXML:PromulgationAmount", o.PromulgationAmount)
	x.elem(5, "edXML:PageAmount", o.PageAmount)
	for _, f := range o.Extra {
		x.elem(5, "edXML:"+f.Name, f.Value)
	}
	x.list(5, "edXML:Appendixes", "edXML:Appendix", o.Appendixes)
	x.close(4, "edXML:OtherInfo")
	writeResponseFor(x, h.ResponseFor)
	x.optional(4, "edXML:SteeringType", h.SteeringType)
	x.list(4, "edXML:ToPlaces", "edXML:Place", h.ToPlaces)
	x.close(3, "edXML:MessageHeader")
}

func writeTrace(x *xw, t *TraceHeaderList) {
	x.open(3, "edXML:TraceHeaderList")
	for _, h := range t.Hops {
		x.open(4, "edXML:TraceHeader")
		x.elem(5, "edXML:OrganId", h.OrganID)
		x.elem(5, "edXML:Timestamp", h.Timestamp)
		x.close(4, "edXML:TraceHeader")
	}
	if b := t.Business; b != nil {
		x.open(4, "edXML:Bussiness")
		x.optional(5, "edXML:DocumentId", b.DocumentID)
		x.elem(5, "edXML:BussinessDocType", b.DocType)
		x.elem(5, "edXML:BussinessDocReason", b.Reason)
		x.elem(5, "edXML:Paper", b.Paper)
		if di := b.DocumentInfo; di != nil {
			x.open(5, "edXML:BussinessDocumentInfo")
			x.elem(6, "edXML:DocumentInfo", di.DocumentInfo)
			x.elem(6, "edXML:DocumentReceiver", di.DocumentReceiver)
			x.open(6, "edXML:ReceiverList")
			for _, r := range di.Receivers {
				x.open(7, "edXML:Receiver")
				x.elem(8, "edXML:OrganId", r.OrganID)
				x.elem(8, "edXML:ReceiverType", r.ReceiverType)
				x.close(7, "edXML:Receiver")
			}
			x.close(6, "edXML:ReceiverList")
			x.close(5, "edXML:BussinessDocumentInfo")
		}
		if len(b.Replacements) > 0 {
			x.open(5, "edXML:ReplacementInfoList")
			for _, r := range b.Replacements {
				x.open(6, "edXML:ReplacementInfo")
				x.elem(7, "edXML:DocumentId", r.DocumentID)
				x.open(7, "edXML:OrganIdList")
				for _, o := range r.OrganIDs {
					x.elem(8, "edXML:OrganId", o)
				}
				x.close(7, "edXML:OrganIdList")
				x.close(6, "edXML:ReplacementInfo")
			}
			x.close(5, "edXML:ReplacementInfoList")
		}
		for _, f := range b.Extra {
			x.elem(5, "edXML:"+f.Name, f.Value)
		}
		writeStaff(x, 5, b.StaffInfo)
		x.close(4, "edXML:Bussiness")
	}
	x.close(3, "edXML:TraceHeaderList")
}

// xw writes indented XML, remembering the first error.
type xw struct {
	w   *bufio.Writer
	err error
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xw) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

func (x *xw) open(depth int, tag string) { x.raw(strings.Repeat("  ", depth) + "<" + tag + ">\n") }

func (x *xw) close(depth int, tag string) { x.raw(strings.Repeat("  ", depth) + "</" + tag + ">\n") }

// list writes items as elements item inside an element outer, when there are any.
func (x *xw) list(depth int, outer, item string, items []string) {
	if len(items) == 0 {
		return
	}
	x.open(depth, outer)
	for _, v := range items {
		x.elem(depth+1, item, v)
	}
	x.close(depth, outer)
}

func (x *xw) elem(depth int, tag, value string) {
	x.raw(strings.Repeat("  ", depth) + "<" + tag + ">")
	x.text(value)
	x.raw("</" + tag + ">\n")
}

// optional writes an element only when it has a value.
func (x *xw) optional(depth int, tag, value string) {
	if value != "" {
		x.elem(depth, tag, value)
	}
}
