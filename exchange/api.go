package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Paths of the platform's calls (appended verbatim to the endpoint).
const (
	PathAgencies     = "/getAgenciesList"
	PathSend         = "/sendEdoc"
	PathReceived     = "/getReceivedEdocList"
	PathSent         = "/getSentEdocList"
	PathGetEdoc      = "/getEdoc"
	PathDownloadEdoc = "/downloadEdoc"
	PathUpdateStatus = "/updateStatus"
	PathCountEdoc    = "/countReceiveEdoc"
	PathCountStatus  = "/countReceiveStatus"
)

// Message types (XroadVnpt-messagetype) and the one service type.
const (
	MessageEdoc   = "edoc"
	MessageStatus = "status"
	ServiceEdoc   = "eDoc"
)

// Acknowledgements of a received document (updateStatus): the transport's, not QCVN 102's
// business statuses, which travel as status envelopes.
const (
	AckDone       = "done"
	AckFail       = "fail"
	AckProcessing = "processing"
)

// Content types the SDK signs.
const (
	ContentJSON   = "application/json"
	ContentBinary = "application/octet-stream"
)

// Flex is a JSON value read as a string whether it came as a string or a number, as the SDK
// reads ErrorCode and status.
type Flex string

// UnmarshalJSON implements json.Unmarshaler.
func (f *Flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = Flex(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("neither a string nor a number: %s", b)
		}
		*f = Flex(n.String())
	}
	return nil
}

// Answer is what every JSON answer carries.
type Answer struct {
	Status    Flex `json:"status"`
	ErrorCode Flex `json:"ErrorCode"`
	ErrorDesc Flex `json:"ErrorDesc"`
}

// OK reports whether the platform said the call succeeded.
func (a Answer) OK() bool {
	return a.Status != "FAIL" && (a.ErrorCode == "0" || a.ErrorCode == "") && a.Status != ""
}

// Err returns the platform's refusal as an error, nil when the call succeeded.
func (a Answer) Err() error {
	if a.OK() {
		return nil
	}
	return &APIError{Code: string(a.ErrorCode), Desc: string(a.ErrorDesc), Status: string(a.Status)}
}

// APIError is a call the platform answered with a failure.
type APIError struct{ Code, Desc, Status string }

func (e *APIError) Error() string {
	return fmt.Sprintf("the platform refused: %s (ErrorCode %s)", e.Desc, e.Code)
}

// Agency is an entry of the platform's directory.
type Agency struct {
	ID      string `json:"id" yaml:"id"`
	PID     string `json:"pid" yaml:"pid"`
	Code    string `json:"code" yaml:"code"`
	Name    string `json:"name" yaml:"name"`
	Mail    string `json:"mail" yaml:"mail"`
	OldCode string `json:"oldCode" yaml:"old_code"`
}

// Received is an inbox entry.
type Received struct {
	DocID       string `json:"docId"`
	ServiceType string `json:"serviceType"`
	MessageType string `json:"messageType"`
	CreatedTime string `json:"created_time"`
	UpdatedTime string `json:"updated_time"`
	From        string `json:"from"`
	To          string `json:"to"`
	Status      string `json:"status"`
	StatusDesc  string `json:"status_desc"`
}

// Sent is the delivery of a sent document to one recipient.
type Sent struct {
	ServiceType       string `json:"serviceType"`
	SenderDocID       string `json:"senderDocId"`
	ReceiverDocID     string `json:"receiverDocId"`
	FromCode          string `json:"fromCode"`
	ToCode            string `json:"toCode"`
	Title             string `json:"title"`
	Notation          string `json:"notation"`
	MessageType       string `json:"messageType"`
	SentTime          string `json:"sentTime"`
	ReceivedTime      string `json:"receivedTime"`
	SendStatus        string `json:"sendStatus"`
	SendStatusDesc    string `json:"sendStatusDesc"`
	ReceiveStatus     string `json:"receiveStatus"`
	ReceiveStatusDesc string `json:"receiveStatusDesc"`
}

// Count is a countReceive* answer.
type Count struct {
	Answer
	Count int `json:"count"`
}

// signedParams is a call's parameter set in the SDK's order (EXCHANGE.md §2): systemid first,
// then the call's own, timestamp and Content-Type, then (updateStatus) status.
func signedParams(system, timestamp, contentType string, own ...Param) Params {
	ps := Params{{"systemid", system}}
	var after Params
	for _, p := range own {
		if p.Name == "status" { // HashMap order puts it after Content-Type
			after = append(after, p)
			continue
		}
		ps = append(ps, p)
	}
	ps = append(ps, Param{"timestamp", timestamp}, Param{"Content-Type", contentType})
	return append(ps, after...)
}
