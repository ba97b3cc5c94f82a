package pdf

import (
	"bytes"
	"fmt"
	"os"

	"github.com/go-pdf/fpdf"
)

// Sample makes an A4 document of pages pages with Vietnamese text laid out like a decision
// (Số: …/QĐ-UBND, the date line, the signer's title and name), for tests, benchmarks and the
// demo. font is a TrueType file with Vietnamese glyphs.
func Sample(pages int, font string, filler int) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreator("vbdt test document", true)
	ttf, err := os.ReadFile(font)
	if err != nil {
		return nil, err
	}
	p.AddUTF8FontFromBytes("serif", "", ttf)
	if err := p.Error(); err != nil {
		return nil, err
	}
	for i := range pages {
		p.AddPage()
		p.SetFont("serif", "", 13)
		if i == 0 {
			p.Text(20, 25, "ỦY BAN NHÂN DÂN")
			p.Text(20, 31, "TỈNH THỬ NGHIỆM (TEST)")
			p.Text(110, 25, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
			p.Text(125, 31, "Độc lập - Tự do - Hạnh phúc")
			p.Text(25, 42, "Số: …/QĐ-UBND")
			p.Text(105, 42, "Hà Nội, ngày … tháng … năm …")
			p.Text(85, 60, "QUYẾT ĐỊNH")
			p.Text(40, 68, "Về việc ban hành Quy chế làm việc (văn bản thử nghiệm)")
		}
		for l := range filler {
			p.Text(25, float64(80+l*6%180), fmt.Sprintf("Điều %d. Nội dung thử nghiệm của văn bản điện tử, trang %d.", l+1, i+1))
		}
		if i == pages-1 {
			p.Text(120, 230, "TM. ỦY BAN NHÂN DÂN")
			p.Text(130, 236, "CHỦ TỊCH")
			p.Text(125, 270, "Nguyễn Văn Ấn")
		}
	}
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
