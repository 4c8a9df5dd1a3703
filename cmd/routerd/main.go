package main

import (
	_ "github.com/gliderlabs/ssh"
	_ "github.com/google/gopacket/layers"
	_ "github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	_ "github.com/jsimonetti/rtnetlink/v2"
	_ "github.com/mdlayher/netlink"
	_ "github.com/u-root/mkuimage/uimage"
	_ "go.uber.org/goleak"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/term"
	_ "layeh.com/radius"
	_ "github.com/ulikunitz/xz"
	_ "github.com/hugelgupf/vmtest/qemu"
)

func main() {}
