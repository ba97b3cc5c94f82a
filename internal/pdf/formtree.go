package pdf

import (
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Bounds of a walk down a form's field tree (a hostile file may nest or share nodes).
const (
	maxFormDepth = 32
	maxFormNodes = 100_000
)

// formNode is a node of a revision's field tree: a field (terminal or not) or a widget.
type formNode struct {
	ref      types.IndirectRef
	dict     types.Dict
	name     string // the full name of the field it is or belongs to: "grp.so"
	ft       string // the field type, inherited from ancestors
	terminal bool   // a terminal field: it holds the value
	widget   bool   // a widget annotation: a terminal field merged with it, or a kid without /T
	field    int    // the object number of its terminal field (itself when terminal)
	signed   bool   // its terminal field is a signature field with a value
}

// formCache is what a document's form tree gives, read once: signing, stamping and their checks
// ask for the fields many times per document.
type formCache struct {
	nodes     map[int]*formNode
	terminals []*formNode
	fields    []Field
	sigs      []Signature
	sigsDone  bool
}

// formTree returns the AcroForm's field tree down to the widgets, keyed by object number, and
// the terminal fields in order, read once. Kids with a /T are fields; kids without are widgets.
func (d *Doc) formTree() (map[int]*formNode, []*formNode) {
	if d.form == nil {
		nodes, terminals := d.readFormTree()
		d.form = &formCache{nodes: nodes, terminals: terminals}
		d.form.fields = d.fieldsOf(nodes, terminals)
	}
	return d.form.nodes, d.form.terminals
}

func (d *Doc) readFormTree() (map[int]*formNode, []*formNode) {
	nodes := map[int]*formNode{}
	var terminals []*formNode
	af, _ := d.acroForm()
	if af == nil {
		return nodes, nil
	}
	top, _ := d.array(af["Fields"])
	var walk func(kids types.Array, parent *formNode, depth int)
	walk = func(kids types.Array, parent *formNode, depth int) {
		for _, k := range kids {
			ref, ok := k.(types.IndirectRef)
			n := ref.ObjectNumber.Value()
			if !ok || nodes[n] != nil || len(nodes) >= maxFormNodes || depth > maxFormDepth {
				continue
			}
			nd, _ := d.dict(ref)
			if nd == nil {
				continue
			}
			node := &formNode{ref: ref, dict: nd}
			t, _ := d.deref(nd["T"])
			if parent != nil {
				node.ft = parent.ft
			}
			if ft, _ := d.deref(nd["FT"]); ft != nil {
				if name, ok := ft.(types.Name); ok {
					node.ft = string(name)
				}
			}
			nodes[n] = node
			if t == nil && parent != nil { // a widget of its parent field
				node.name, node.widget, node.field, node.signed = parent.name, true, parent.field, parent.signed
				continue
			}
			node.name = decodeText(t)
			if parent != nil && parent.name != "" {
				node.name = parent.name + "." + node.name
			}
			kids, _ := d.array(nd["Kids"])
			fieldKids := false
			for _, kid := range kids {
				if kd, _ := d.dict(kid); kd != nil && kd["T"] != nil {
					fieldKids = true
				}
			}
			if !fieldKids {
				node.terminal, node.field = true, n
				node.widget = len(kids) == 0
				node.signed = node.ft == "Sig" && nd["V"] != nil // not parsed: a signature's /Contents is long
				terminals = append(terminals, node)
			}
			walk(kids, node, depth+1)
		}
	}
	walk(top, nil, 0)
	return nodes, terminals
}

// SignatureValues maps the object number of each signature field's value (its signature
// dictionary) to the field's name, without parsing the values.
func (d *Doc) SignatureValues() map[int]string {
	_, terminals := d.formTree()
	out := map[int]string{}
	for _, n := range terminals {
		if r, ok := n.dict["V"].(types.IndirectRef); ok && n.ft == "Sig" {
			out[r.ObjectNumber.Value()] = n.name
		}
	}
	return out
}
