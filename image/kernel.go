package image

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Kernel is an extracted Debian kernel package.
type Kernel struct {
	// Package is the versioned package name, e.g. linux-image-6.1.0-56-cloud-amd64.
	Package string
	// Version is the kernel release, e.g. 6.1.0-56-cloud-amd64.
	Version string
	// Vmlinuz is the path of the kernel image.
	Vmlinuz string
	// ModulesDir is the path of lib/modules/<Version> in the extracted tree.
	ModulesDir string
}

// FetchKernel resolves the versioned kernel package that metaPackage (for
// example linux-image-cloud-amd64) depends on, downloads it into cacheDir
// with apt-get and extracts it with dpkg-deb. A package already downloaded
// and extracted in cacheDir is reused.
func FetchKernel(ctx context.Context, cacheDir, metaPackage string, progress io.Writer) (*Kernel, error) {
	if progress == nil {
		progress = io.Discard
	}
	pkg, err := resolveKernelPackage(ctx, metaPackage)
	if err != nil {
		return nil, err
	}
	version := strings.TrimPrefix(pkg, "linux-image-")
	fmt.Fprintf(progress, "fetching kernel %s…\n", pkg)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("fetch kernel: %w", err)
	}
	k := &Kernel{Package: pkg, Version: version}
	root := filepath.Join(cacheDir, pkg)
	k.Vmlinuz = filepath.Join(root, "boot", "vmlinuz-"+version)
	k.ModulesDir = filepath.Join(root, "lib", "modules", version)
	done := filepath.Join(root, ".extracted")
	if _, err := os.Stat(done); err == nil {
		fmt.Fprintf(progress, "  using cached %s\n", root)
		return k, nil
	}
	deb, err := cachedDeb(cacheDir, pkg)
	if err != nil {
		return nil, err
	}
	if deb == "" {
		cmd := exec.CommandContext(ctx, "apt-get", "download", pkg)
		cmd.Dir = cacheDir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("apt-get download %s: %w: %s", pkg, err, bytes.TrimSpace(out))
		}
		if deb, err = cachedDeb(cacheDir, pkg); err != nil {
			return nil, err
		}
		if deb == "" {
			return nil, fmt.Errorf("apt-get download %s: no .deb appeared in %s", pkg, cacheDir)
		}
	} else {
		fmt.Fprintf(progress, "  using cached %s\n", filepath.Base(deb))
	}
	if err := os.RemoveAll(root); err != nil {
		return nil, fmt.Errorf("extract kernel: %w", err)
	}
	if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dpkg-deb -x %s: %w: %s", deb, err, bytes.TrimSpace(out))
	}
	if _, err := os.Stat(k.Vmlinuz); err != nil {
		return nil, fmt.Errorf("extract kernel: %w", err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		return nil, fmt.Errorf("extract kernel: %w", err)
	}
	return k, nil
}

// cachedDeb returns the path of an already downloaded .deb for pkg, or "".
func cachedDeb(cacheDir, pkg string) (string, error) {
	m, err := filepath.Glob(filepath.Join(cacheDir, pkg+"_*.deb"))
	if err != nil {
		return "", fmt.Errorf("look for cached %s: %w", pkg, err)
	}
	if len(m) == 0 {
		return "", nil
	}
	return m[len(m)-1], nil
}

// resolveKernelPackage asks apt-cache which versioned kernel package
// metaPackage depends on, running apt-get update once if apt knows nothing.
func resolveKernelPackage(ctx context.Context, metaPackage string) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", metaPackage).Output()
	if err == nil {
		if pkg, perr := parseAptDepends(out, metaPackage); perr == nil {
			return pkg, nil
		}
	}
	if uerr := exec.CommandContext(ctx, "apt-get", "update").Run(); uerr != nil {
		return "", fmt.Errorf("apt-get update: %w", uerr)
	}
	out, err = exec.CommandContext(ctx, "apt-cache", "depends", metaPackage).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %w", metaPackage, err)
	}
	return parseAptDepends(out, metaPackage)
}

// parseAptDepends picks the versioned linux-image package out of
// `apt-cache depends` output for a kernel metapackage.
func parseAptDepends(out []byte, metaPackage string) (string, error) {
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		// "|Depends: x" marks an alternative; accept it too.
		line = strings.TrimPrefix(line, "|")
		dep, ok := strings.CutPrefix(line, "Depends: ")
		if !ok {
			continue
		}
		dep = strings.TrimSpace(dep)
		if strings.HasPrefix(dep, "<") {
			continue // a virtual package
		}
		if strings.HasPrefix(dep, "linux-image-") && dep != metaPackage && kernelVersionLike(strings.TrimPrefix(dep, "linux-image-")) {
			return dep, nil
		}
	}
	return "", errors.New("apt-cache depends " + metaPackage + ": no versioned linux-image dependency")
}

// kernelVersionLike reports whether v starts like a kernel release (digits and dots).
func kernelVersionLike(v string) bool {
	i := strings.IndexByte(v, '.')
	if i <= 0 {
		return false
	}
	for _, c := range v[:i] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
