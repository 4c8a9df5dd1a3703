package image

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"
)

// maxModuleSize bounds a decompressed module so a corrupt .ko.xz cannot
// exhaust memory.
const maxModuleSize = 64 << 20

// LoadListPath is where, inside the image, the module load order is written.
const LoadListPath = "lib/modules/erx.load"

// Module is one kernel module file found in a modules directory.
type Module struct {
	// Name is the module name with '-' normalised to '_' (virtio_net).
	Name string
	// Rel is the file path relative to the modules directory, as found
	// (kernel/drivers/net/virtio_net.ko or .ko.xz).
	Rel string
	// Depends lists the module names from the .modinfo depends= field.
	Depends []string
}

// StagedRel is Rel without a compression suffix: where the plain .ko goes.
func (m Module) StagedRel() string {
	return strings.TrimSuffix(m.Rel, ".xz")
}

// ModuleTree indexes the modules of one kernel release.
type ModuleTree struct {
	dir     string
	files   map[string]string // module name -> path relative to dir
	builtin map[string]bool
}

// OpenModuleTree indexes the .ko and .ko.xz files under dir
// (lib/modules/<version>) and reads its modules.builtin list.
func OpenModuleTree(dir string) (*ModuleTree, error) {
	t := &ModuleTree{dir: dir, files: map[string]string{}, builtin: map[string]bool{}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		name, ok := moduleName(d.Name())
		if !ok {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		t.files[name] = filepath.ToSlash(rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index modules in %s: %w", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "modules.builtin"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read modules.builtin: %w", err)
	}
	for name := range parseBuiltin(b) {
		t.builtin[name] = true
	}
	return t, nil
}

// moduleName returns the normalised module name of a module file name.
func moduleName(file string) (string, bool) {
	for _, suf := range []string{".ko", ".ko.xz"} {
		if base, ok := strings.CutSuffix(file, suf); ok && base != "" {
			return normalizeModName(base), true
		}
	}
	return "", false
}

func normalizeModName(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "-", "_")
}

// parseBuiltin reads modules.builtin (one kernel/…/x.ko path per line).
func parseBuiltin(b []byte) map[string]bool {
	out := map[string]bool{}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" {
			continue
		}
		if name, ok := moduleName(path.Base(line)); ok {
			out[name] = true
		}
	}
	return out
}

// ReadModule returns the uncompressed contents of the module file named rel.
func (t *ModuleTree) ReadModule(rel string) ([]byte, error) {
	f, err := os.Open(filepath.Join(t.dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(rel, ".xz") {
		xr, err := xz.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("decompress %s: %w", rel, err)
		}
		r = xr
	}
	b, err := io.ReadAll(io.LimitReader(r, maxModuleSize+1))
	if err != nil {
		return nil, fmt.Errorf("read module %s: %w", rel, err)
	}
	if len(b) > maxModuleSize {
		return nil, fmt.Errorf("read module %s: larger than %d bytes", rel, maxModuleSize)
	}
	return b, nil
}

// ParseModinfo returns the key=value pairs of a module's .modinfo section.
// Keys that repeat (alias, parm) keep their last value; callers here only
// need unique keys such as depends and name.
func ParseModinfo(ko []byte) (map[string]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, fmt.Errorf("parse module ELF: %w", err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("parse module ELF: no .modinfo section")
	}
	if sec.Size > maxModuleSize {
		return nil, errors.New("parse module ELF: .modinfo too large")
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("read .modinfo: %w", err)
	}
	info := map[string]string{}
	for _, field := range bytes.Split(data, []byte{0}) {
		k, v, ok := strings.Cut(string(field), "=")
		if !ok || k == "" {
			continue
		}
		info[k] = v
	}
	return info, nil
}

// splitDepends splits a depends= value into normalised module names.
func splitDepends(v string) []string {
	var out []string
	for _, d := range strings.Split(v, ",") {
		if d = normalizeModName(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// Resolve returns the modules needed to load names, dependencies first.
// A name that is built into the kernel is skipped; a name that is neither
// built in nor present as a file is an error.
func (t *ModuleTree) Resolve(names []string) ([]Module, error) {
	return resolveOrder(names, t.lookup)
}

// lookup returns the module for name, or builtin=true when it is compiled in.
func (t *ModuleTree) lookup(name string) (m Module, builtin bool, err error) {
	rel, ok := t.files[name]
	if !ok {
		if t.builtin[name] {
			return Module{}, true, nil
		}
		return Module{}, false, fmt.Errorf("module %s: neither built in nor present in %s", name, t.dir)
	}
	ko, err := t.ReadModule(rel)
	if err != nil {
		return Module{}, false, err
	}
	info, err := ParseModinfo(ko)
	if err != nil {
		return Module{}, false, fmt.Errorf("module %s: %w", name, err)
	}
	return Module{Name: name, Rel: rel, Depends: splitDepends(info["depends"])}, false, nil
}

// resolveOrder walks the dependency graph depth first and returns modules in
// load order (every module after all of its dependencies). Cycles are errors.
func resolveOrder(names []string, lookup func(string) (Module, bool, error)) ([]Module, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order []Module
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(chain, " -> "), name)
		}
		state[name] = visiting
		m, builtin, err := lookup(name)
		if err != nil {
			return err
		}
		if !builtin {
			for _, d := range m.Depends {
				if err := visit(d, append(chain, name)); err != nil {
					return err
				}
			}
			order = append(order, m)
		}
		state[name] = done
		return nil
	}
	for _, n := range names {
		if err := visit(normalizeModName(n), nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// StageModules resolves names in the modules tree of kernel k, writes the
// uncompressed .ko files under destRoot/lib/modules/<version>/ and the load
// list at destRoot/lib/modules/erx.load. It returns the in-image absolute
// paths in load order.
func StageModules(k *Kernel, names []string, destRoot string) ([]string, error) {
	t, err := OpenModuleTree(k.ModulesDir)
	if err != nil {
		return nil, err
	}
	mods, err := t.Resolve(names)
	if err != nil {
		return nil, fmt.Errorf("stage modules: %w", err)
	}
	var load []string
	for _, m := range mods {
		ko, err := t.ReadModule(m.Rel)
		if err != nil {
			return nil, fmt.Errorf("stage modules: %w", err)
		}
		imagePath := path.Join("/lib/modules", k.Version, m.StagedRel())
		dst := filepath.Join(destRoot, filepath.FromSlash(imagePath))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("stage modules: %w", err)
		}
		if err := os.WriteFile(dst, ko, 0o644); err != nil {
			return nil, fmt.Errorf("stage modules: %w", err)
		}
		load = append(load, imagePath)
	}
	list := filepath.Join(destRoot, filepath.FromSlash(LoadListPath))
	if err := os.MkdirAll(filepath.Dir(list), 0o755); err != nil {
		return nil, fmt.Errorf("stage modules: %w", err)
	}
	if err := os.WriteFile(list, []byte(loadList(load)), 0o644); err != nil {
		return nil, fmt.Errorf("stage modules: %w", err)
	}
	return load, nil
}

// loadList formats erx.load: one absolute path per line.
func loadList(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.String()
}
