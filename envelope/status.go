package envelope

import "time"

// Status is the status envelope that answers a received document: from the organization
// reporting, naming the document (its sender, code, date and id), with a code of StatusCodes,
// a description, the clerk and the time (Vietnam time, as edXML writes it).
func Status(doc *Envelope, from Organization, code, description string, staff *StaffInfo, at time.Time) *Envelope {
	h := &doc.Header
	if staff != nil && *staff == (StaffInfo{}) {
		staff = nil
	}
	return &Envelope{Header: MessageHeader{
		From: from,
		ResponseFor: []ResponseFor{{OrganID: h.From.OrganID, Code: h.CodeText(), PromulgationDate: h.Promulgation.Date,
			DocumentID: h.DocumentID}},
		StaffInfo:   staff,
		StatusCode:  code,
		Description: description,
		Timestamp:   at.In(Zone()).Format(TimestampLayout),
	}}
}
