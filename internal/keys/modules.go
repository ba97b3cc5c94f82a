package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// moduleDirs are where PKCS#11 modules are installed on Linux.
var moduleDirs = []string{"/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu", "/usr/lib/softhsm", "/usr/lib/x86_64-linux-gnu/softhsm",
	"/usr/lib/pkcs11", "/usr/lib/x86_64-linux-gnu/pkcs11"}

// modulePatterns are the file names of SoftHSM, p11-kit's proxy and the tokens of Vietnamese
// CAs (DOMAIN.md §5), most specific first.
var modulePatterns = []string{
	"libsofthsm2.so",    // SoftHSM2
	"libbit4xpki.so",    // Ban Cơ yếu Chính phủ (Bit4id)
	"*vnptca_p11_v*.so", // VNPT-CA
	"*viettel-ca_v*.so", // Viettel-CA
	"*fptca_v*.so",      // FPT-CA
	"*BkavCA*.so",       // BKAV-CA
	"libeTPkcs11.so",    // SafeNet eToken
	"*eps2003csp11*.so", // Feitian ePass2003
	"p11-kit-proxy.so",  // every module p11-kit knows
}

// ProbeModules lists the PKCS#11 modules installed in the usual places, without loading them.
func ProbeModules() []string {
	var found []string
	seen := map[string]bool{}
	for _, pat := range modulePatterns {
		for _, dir := range moduleDirs {
			matches, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, m := range matches {
				real, err := filepath.EvalSymlinks(m)
				if err != nil || seen[real] {
					continue
				}
				seen[real] = true
				found = append(found, m)
			}
		}
	}
	return found
}

// resolveModule picks the module for u: --module, then module-path, then module-name looked up
// in the usual folders, then the first module the probe finds.
func resolveModule(u *URI, opts Options) (string, error) {
	switch {
	case opts.ModulePath != "":
		return opts.ModulePath, nil
	case u.Query["module-path"] != "":
		return u.Query["module-path"], nil
	case u.Query["module-name"] != "":
		name := u.Query["module-name"]
		for _, dir := range moduleDirs {
			for _, f := range []string{name + ".so", "lib" + name + ".so"} {
				if p := filepath.Join(dir, f); fileExists(p) {
					return p, nil
				}
			}
		}
		return "", fmt.Errorf("PKCS#11 module-name=%s not found in %s", name, strings.Join(moduleDirs, ", "))
	}
	probe := opts.Probe
	if probe == nil {
		probe = ProbeModules
	}
	if mods := probe(); len(mods) > 0 {
		return mods[0], nil
	}
	return "", fmt.Errorf("no PKCS#11 module found: pass --module PATH or add module-path= to the URI")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
