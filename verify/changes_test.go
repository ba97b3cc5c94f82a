package verify

import (
	"testing"

	"github.com/vbdt/vbdt/internal/pdf"
)

// The whitelist: each kind of change after a signature, and what it counts as.
func TestClassifyRules(t *testing.T) {
	visibleSig := pdf.Annot{Obj: 9, Subtype: "Widget", FT: "Sig", Visible: true}
	invisibleSig := pdf.Annot{Obj: 9, Subtype: "Widget", FT: "Sig"}
	for _, tc := range []struct {
		name      string
		ch        pdf.Change
		certified bool
		want      Modification
	}{
		{"added object", pdf.Change{Added: true}, true, ModNone},
		{"deleted object", pdf.Change{Deleted: true, Type: "Font"}, false, ModOther},
		{"another catalog", pdf.Change{Type: "trailer", Keys: []string{"Root"}}, false, ModOther},
		{"information dictionary", pdf.Change{Type: "Info", Keys: []string{"ModDate"}}, true, ModLTA},
		{"catalog gains DSS", pdf.Change{Type: "Catalog", Keys: []string{"DSS", "Extensions"}}, true, ModLTA},
		{"catalog gains OpenAction", pdf.Change{Type: "Catalog", Keys: []string{"OpenAction"}}, false, ModOther},
		{"text field filled", pdf.Change{Type: "Annot/Tx", Field: "so", Keys: []string{"AP", "V"}}, true, ModFormFill},
		{"text field moved", pdf.Change{Type: "Annot/Tx", Field: "so", Keys: []string{"Rect", "V"}}, true, ModOther},
		{"empty signature field signed", pdf.Change{Type: "Annot/Sig", Field: "s", Keys: []string{"AP", "V"}}, true, ModFormFill},
		{"signature field moved", pdf.Change{Type: "Annot/Sig", Field: "s", Keys: []string{"Rect", "V"}}, true, ModOther},
		{"signature replaced", pdf.Change{Type: "Annot/Sig", Field: "s", Keys: []string{"V"}, WasSigned: true}, false, ModOther},
		{"form's SigFlags", pdf.Change{Type: "AcroForm", Keys: []string{"SigFlags"}}, true, ModOther},
		{"new visible signature field, certified", pdf.Change{Type: "Page", Keys: []string{"Annots"}, NewAnnots: []pdf.Annot{visibleSig}}, true, ModOther},
		{"new visible signature field, approval", pdf.Change{Type: "Page", Keys: []string{"Annots"}, NewAnnots: []pdf.Annot{visibleSig}}, false, ModFormFill},
		{"new invisible signature field, certified", pdf.Change{Type: "AcroForm", Keys: []string{"Fields"}, NewFields: []pdf.Annot{invisibleSig}}, true, ModFormFill},
		{"new visible field in the form, certified", pdf.Change{Type: "Array", Of: "Fields", NewFields: []pdf.Annot{visibleSig}}, true, ModOther},
		{"new text field", pdf.Change{Type: "AcroForm", Keys: []string{"Fields"}, NewFields: []pdf.Annot{{Obj: 9, Subtype: "Widget", FT: "Tx"}}}, false, ModOther},
		{"annotation removed", pdf.Change{Type: "Array", Of: "Annots", Removed: 1}, false, ModOther},
		{"FreeText added", pdf.Change{Type: "Page", Keys: []string{"Annots"}, NewAnnots: []pdf.Annot{{Obj: 9, Subtype: "FreeText"}}}, true, ModAnnotations},
		{"page content", pdf.Change{Type: "Page", Keys: []string{"Contents"}}, false, ModOther},
		{"stream rewritten", pdf.Change{Type: "stream", Keys: []string{"(stream data)"}}, false, ModOther},
	} {
		got, problems := classify(tc.ch, tc.certified, Strictness{})
		if got != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, got, problems, tc.want)
		}
		if got == ModOther && len(problems) == 0 {
			t.Errorf("%s: no reason given", tc.name)
		}
	}
	if got, _ := classify(pdf.Change{Type: "Page", Keys: []string{"Annots"}, NewAnnots: []pdf.Annot{visibleSig}}, true,
		Strictness{NewVisibleSignatureFields: true}); got != ModFormFill {
		t.Errorf("Acrobat's reading of a new visible field: %s", got)
	}
}

// A field locked by a signature's FieldMDP may not be filled after it: the analysis calls it an
// other change.
func TestFieldMDPLocks(t *testing.T) {
	checks := []Check{{Field: "approver", SignedSize: 100, Lock: &pdf.FieldLock{Action: "Include", Fields: []string{"so"}}}, {Field: "later", SignedSize: 200}}
	fill := pdf.Change{Type: "Annot/Tx", Field: "so", Keys: []string{"AP", "V"}}
	if by := lockedBy(checks, checks[1], fill); by != "approver" {
		t.Errorf("a fill of a locked field after both signatures: locked by %q", by)
	}
	if by := lockedBy(checks, checks[0], pdf.Change{Type: "Annot/Tx", Field: "ngay", Keys: []string{"V"}}); by != "" {
		t.Errorf("an unlocked field: locked by %q", by)
	}
}
