package lccli

// transcriptCase is a session typed into a fresh rig: setup lines are
// applied first (without output), then lines are typed and the terminal
// must show want exactly.
type transcriptCase struct {
	name   string
	priv   int // session privilege; 0 means 15
	setup  []string
	prober string // scripted prober: "", "echo", "unreachable", "trace", "noroute"
	lines  []string
	want   string
}

var transcriptCases = []transcriptCase{
	{name: "interface modes and bad interfaces", lines: []string{
		"configure terminal",
		"interface gigabitEthernet 2/0/0",
		"interface gigabitEthernet 2/0/0.10",
		"exit",
		"interface gigabitEthernet 9/0/0",
		"interface gigabitEthernet 2/0",
		"interface gigabitEthernet 2/0/0.10.1",
		"interface atm 2/0/0",
		"interface fastEthernet 6/0/0.5",
		"interface fastEthernet 6/0/0",
		"interface loopback 3",
		"no interface gigabitEthernet 2/0/0",
		"no interface loopback 4",
		"no interface gigabitEthernet 2/0/0.11",
		"no interface gigabitEthernet 2/0/0.10",
		"no interface loopback 3",
		"interface gi 3/0/0",
		"end",
	}, want: `host1#configure terminal
host1(config)#interface gigabitEthernet 2/0/0
host1(config-if)#interface gigabitEthernet 2/0/0.10
host1(config-subif)#exit
host1(config)#interface gigabitEthernet 9/0/0
% Invalid interface
host1(config)#interface gigabitEthernet 2/0
% Invalid interface
host1(config)#interface gigabitEthernet 2/0/0.10.1
% Invalid interface
host1(config)#interface atm 2/0/0
% Invalid interface
host1(config)#interface fastEthernet 6/0/0.5
% The management port cannot carry VLANs
host1(config)#interface fastEthernet 6/0/0
host1(config-if)#interface loopback 3
host1(config-if)#no interface gigabitEthernet 2/0/0
% Physical interface gigabitEthernet 2/0/0 cannot be deleted
host1(config)#no interface loopback 4
% Interface loopback 4 does not exist
host1(config)#no interface gigabitEthernet 2/0/0.11
% Interface gigabitEthernet 2/0/0.11 does not exist
host1(config)#no interface gigabitEthernet 2/0/0.10
host1(config)#no interface loopback 3
host1(config)#interface gi 3/0/0
host1(config-if)#end
host1#`},
	{name: "ip address", setup: []string{"interface gigabitEthernet 2/0/1", "ip address 10.9.0.1 255.255.255.0"}, lines: []string{
		"configure terminal",
		"interface gigabitEthernet 2/0/0",
		"ip address 10.0.0.1 255.0.255.0",
		"ip address 10.0.0.1 0.0.0.0",
		"ip address 10.0.0.0 255.255.255.0",
		"ip address 10.0.0.255 255.255.255.0",
		"ip address 127.0.0.1 255.0.0.0",
		"ip address 10.9.0.2 255.255.0.0",
		"ip address 10.0.1.1 255.255.255.0 secondary",
		"ip address 10.0.0.1 255.255.255.0",
		"ip address 10.0.0.1 255.255.255.0",
		"ip address 10.0.1.1 255.255.255.0 secondary",
		"ip address 10.0.0.2 255.255.255.0",
		"no ip address 10.0.0.2 255.255.255.0",
		"no ip address 10.0.3.1 255.255.255.0",
		"no ip address 10.0.1.1 255.255.255.0",
		"ip address 10.0.0.3 255.255.255.252",
		"ip address 10.0.0.4 255.255.255.254",
		"ip address 10.0.0.5 255.255.255.255",
		"do show ip interface brief",
		"no ip address",
		"interface fastEthernet 6/0/0",
		"ip address 192.168.1.10 255.255.255.0 secondary",
		"ip address 192.168.1.10 255.255.255.0",
		"do show ip interface fastEthernet 6/0/0",
		"no ip address",
		"do show ip interface fastEthernet 6/0/0",
		"do show ip interface gigabitEthernet 2/0/0",
		"end",
	}, want: `host1#configure terminal
host1(config)#interface gigabitEthernet 2/0/0
host1(config-if)#ip address 10.0.0.1 255.0.255.0
                    ^
% Invalid input detected at '^' marker.
host1(config-if)#ip address 10.0.0.1 0.0.0.0
% Invalid address 10.0.0.1 0.0.0.0
host1(config-if)#ip address 10.0.0.0 255.255.255.0
% Invalid address 10.0.0.0 255.255.255.0: not a host address of its subnet
host1(config-if)#ip address 10.0.0.255 255.255.255.0
% Invalid address 10.0.0.255 255.255.255.0: not a host address of its subnet
host1(config-if)#ip address 127.0.0.1 255.0.0.0
% Invalid address 127.0.0.1 255.0.0.0
host1(config-if)#ip address 10.9.0.2 255.255.0.0
% 10.9.0.2 255.255.0.0 overlaps 10.9.0.1 255.255.255.0 on gigabitEthernet 2/0/1
host1(config-if)#ip address 10.0.1.1 255.255.255.0 secondary
% Configure the primary address first
host1(config-if)#ip address 10.0.0.1 255.255.255.0
host1(config-if)#ip address 10.0.0.1 255.255.255.0
host1(config-if)#ip address 10.0.1.1 255.255.255.0 secondary
host1(config-if)#ip address 10.0.0.2 255.255.255.0
host1(config-if)#no ip address 10.0.0.2 255.255.255.0
% Remove the secondary addresses first
host1(config-if)#no ip address 10.0.3.1 255.255.255.0
% Address 10.0.3.1 255.255.255.0 is not configured on gigabitEthernet 2/0/0
host1(config-if)#no ip address 10.0.1.1 255.255.255.0
host1(config-if)#ip address 10.0.0.3 255.255.255.252
% Invalid address 10.0.0.3 255.255.255.252: not a host address of its subnet
host1(config-if)#ip address 10.0.0.4 255.255.255.254
host1(config-if)#ip address 10.0.0.5 255.255.255.255
host1(config-if)#do show ip interface brief
     Interface        IP-Address  Status Protocol
-------------------- ------------ ------ --------
GigabitEthernet2/0/0 10.0.0.5     up     up      
GigabitEthernet2/0/1 10.9.0.1     up     up      
GigabitEthernet3/0/0 unassigned   up     down    
FastEthernet6/0/0    198.51.100.7 up     up      
host1(config-if)#no ip address
host1(config-if)#interface fastEthernet 6/0/0
host1(config-if)#ip address 192.168.1.10 255.255.255.0 secondary
% Secondary addresses are not supported on the management port
host1(config-if)#ip address 192.168.1.10 255.255.255.0
host1(config-if)#do show ip interface fastEthernet 6/0/0
FastEthernet6/0/0 line protocol Ethernet is up, ip is up
  Network Protocols: IP
  Internet address is 192.168.1.10/255.255.255.0
  Broadcast address is 192.168.1.255
host1(config-if)#no ip address
host1(config-if)#do show ip interface fastEthernet 6/0/0
FastEthernet6/0/0 line protocol Ethernet is up, ip is up
  Network Protocols: IP
  Internet address is 198.51.100.7/255.255.255.0
  Broadcast address is 198.51.100.255
  Address assigned by DHCP
host1(config-if)#do show ip interface gigabitEthernet 2/0/0
% gigabitEthernet 2/0/0 has no IP address in virtual router default
host1(config-if)#end
host1#`},
	{name: "vlan subinterfaces", lines: []string{
		"configure terminal",
		"interface gigabitEthernet 2/0/0.100",
		"vlan id 100",
		"interface gigabitEthernet 2/0/0",
		"encapsulation vlan",
		"interface gigabitEthernet 2/0/0.100",
		"vlan id 0",
		"vlan id 4095",
		"vlan id 100",
		"vlan id 100",
		"vlan id 101",
		"interface gigabitEthernet 2/0/0.200",
		"description second customer",
		"shutdown",
		"vlan id 100",
		"vlan id 200",
		"ip address 10.2.0.1 255.255.255.0",
		"interface gigabitEthernet 2/0/0",
		"no encapsulation vlan",
		"interface loopback 1",
		"encapsulation vlan",
		"end",
		"show interfaces gigabitEthernet 2/0/0.200",
		"show interfaces gigabitEthernet 2/0/0.300",
		"show interfaces gigabitEthernet 7/0/0",
	}, want: `host1#configure terminal
host1(config)#interface gigabitEthernet 2/0/0.100
host1(config-subif)#vlan id 100
% VLAN encapsulation is not configured on gigabitEthernet 2/0/0 (encapsulation vlan)
host1(config-subif)#interface gigabitEthernet 2/0/0
host1(config-if)#encapsulation vlan
host1(config-if)#interface gigabitEthernet 2/0/0.100
host1(config-subif)#vlan id 0
        ^
% Invalid input detected at '^' marker.
host1(config-subif)#vlan id 4095
        ^
% Invalid input detected at '^' marker.
host1(config-subif)#vlan id 100
host1(config-subif)#vlan id 100
host1(config-subif)#vlan id 101
% VLAN ID 100 is already configured on gigabitEthernet 2/0/0.100; delete the subinterface to change it
host1(config-subif)#interface gigabitEthernet 2/0/0.200
host1(config-subif)#description second customer
host1(config-subif)#shutdown
host1(config-subif)#vlan id 100
% VLAN ID 100 is already used by gigabitEthernet 2/0/0.100
host1(config-subif)#vlan id 200
host1(config-subif)#ip address 10.2.0.1 255.255.255.0
host1(config-subif)#interface gigabitEthernet 2/0/0
host1(config-if)#no encapsulation vlan
% Remove the subinterfaces of gigabitEthernet 2/0/0 first (gigabitEthernet 2/0/0.100)
host1(config-if)#interface loopback 1
host1(config-if)#encapsulation vlan
% VLAN encapsulation is not supported on loopback 1
host1(config-if)#end
host1#show interfaces gigabitEthernet 2/0/0.200
GigabitEthernet2/0/0.200 is Down, Administrative status is Down
  Description: second customer
  Hardware is Ethernet, address is 0200.0000.0200
  VLAN ID: 200
  MTU: Operational 1500, Administrative 1500
  In:  Packets 0, Bytes 0
  Out: Packets 0, Bytes 0
  To control plane 0, ICMP sent 0, ICMP rate-limited 0
  Drops: 0
host1#show interfaces gigabitEthernet 2/0/0.300
% Interface gigabitEthernet 2/0/0.300 does not exist
host1#show interfaces gigabitEthernet 7/0/0
% Invalid interface
host1#`},
	{name: "mtu shutdown description", lines: []string{
		"configure terminal",
		"interface gigabitEthernet 2/0/0",
		"mtu 9000",
		"mtu 1400",
		"ip mtu 1300",
		"description  uplink to core  ",
		"encapsulation vlan",
		"interface gigabitEthernet 2/0/0.7",
		"vlan id 7",
		"interface gigabitEthernet 2/0/0",
		"shutdown",
		"interface fastEthernet 6/0/0",
		"shutdown",
		"mtu 1000",
		"end",
		"show interfaces gigabitEthernet 2/0/0",
		"show interfaces gigabitEthernet 2/0/0.7",
		"show interfaces fastEthernet 6/0/0",
		"configure terminal",
		"interface gigabitEthernet 2/0/0",
		"no shutdown",
		"no mtu",
		"no ip mtu",
		"no description",
		"end",
		"show interfaces gigabitEthernet 2/0/0",
		"show interfaces gigabitEthernet 2/0/0.7",
	}, want: `host1#configure terminal
host1(config)#interface gigabitEthernet 2/0/0
host1(config-if)#mtu 9000
% MTU 9000 is out of range 68-1500 on gigabitEthernet 2/0/0
host1(config-if)#mtu 1400
host1(config-if)#ip mtu 1300
host1(config-if)#description  uplink to core  
host1(config-if)#encapsulation vlan
host1(config-if)#interface gigabitEthernet 2/0/0.7
host1(config-subif)#vlan id 7
host1(config-subif)#interface gigabitEthernet 2/0/0
host1(config-if)#shutdown
host1(config-if)#interface fastEthernet 6/0/0
host1(config-if)#shutdown
% The management port cannot be shut down from the CLI
host1(config-if)#mtu 1000
% The MTU of the management port is set by the kernel
host1(config-if)#end
host1#show interfaces gigabitEthernet 2/0/0
GigabitEthernet2/0/0 is Down, Administrative status is Down
  Description: uplink to core
  Hardware is Ethernet, address is 0200.0000.0200
  MTU: Operational 1300, Administrative 1400
  In:  Packets 0, Bytes 0
  Out: Packets 0, Bytes 0
  To control plane 0, ICMP sent 0, ICMP rate-limited 0
  Drops: 0
host1#show interfaces gigabitEthernet 2/0/0.7
GigabitEthernet2/0/0.7 is LowerLayerDown, Administrative status is Up
  Hardware is Ethernet, address is 0200.0000.0200
  VLAN ID: 7
  MTU: Operational 1400, Administrative 1400
  In:  Packets 0, Bytes 0
  Out: Packets 0, Bytes 0
  To control plane 0, ICMP sent 0, ICMP rate-limited 0
  Drops: 0
host1#show interfaces fastEthernet 6/0/0
FastEthernet6/0/0 is Up, Administrative status is Up
  Hardware is Ethernet, address is 0200.0000.0600
  Management port: served by the kernel, no data-plane counters
host1#configure terminal
host1(config)#interface gigabitEthernet 2/0/0
host1(config-if)#no shutdown
host1(config-if)#no mtu
host1(config-if)#no ip mtu
host1(config-if)#no description
host1(config-if)#end
host1#show interfaces gigabitEthernet 2/0/0
GigabitEthernet2/0/0 is Up, Administrative status is Up
  Hardware is Ethernet, address is 0200.0000.0200
  MTU: Operational 1500, Administrative 1500
  In:  Packets 0, Bytes 0
  Out: Packets 0, Bytes 0
  To control plane 0, ICMP sent 0, ICMP rate-limited 0
  Drops: 0
host1#show interfaces gigabitEthernet 2/0/0.7
GigabitEthernet2/0/0.7 is Up, Administrative status is Up
  Hardware is Ethernet, address is 0200.0000.0200
  VLAN ID: 7
  MTU: Operational 1500, Administrative 1500
  In:  Packets 0, Bytes 0
  Out: Packets 0, Bytes 0
  To control plane 0, ICMP sent 0, ICMP rate-limited 0
  Drops: 0
host1#`},
	{name: "static routes", setup: []string{
		"interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0",
		"interface gigabitEthernet 2/0/1", "ip address 10.0.1.1 255.255.255.0",
		"interface loopback 0", "ip address 192.0.2.1 255.255.255.255",
	}, lines: []string{
		"configure terminal",
		"ip route 0.0.0.0 0.0.0.0 10.0.0.254",
		"ip route 172.16.0.0 255.255.0.0 gigabitEthernet 2/0/1",
		"ip route 172.16.0.0 255.255.0.0 10.0.0.9 200",
		"ip route 172.16.0.1 255.255.0.0 10.0.0.9",
		"ip route 172.17.0.0 255.255.0.0 127.0.0.1",
		"ip route 172.17.0.0 255.255.0.0 gigabitEthernet 8/0/0",
		"ip route 172.17.0.0 255.255.0.0 fastEthernet 6/0/0",
		"ip route 172.17.0.0 255.255.0.0 gigabitEthernet 2/0/0.5",
		"no ip route 10.10.0.0 255.255.0.0",
		"end",
		"show ip route",
		"show ip route 172.16.9.9",
		"show ip route 10.0.1.1",
		"configure terminal",
		"no ip route 0.0.0.0 0.0.0.0",
		"no ip route 172.16.0.0 255.255.0.0 10.0.0.9",
		"end",
		"show ip route",
		"show ip route 8.8.8.8",
	}, want: `host1#configure terminal
host1(config)#ip route 0.0.0.0 0.0.0.0 10.0.0.254
host1(config)#ip route 172.16.0.0 255.255.0.0 gigabitEthernet 2/0/1
host1(config)#ip route 172.16.0.0 255.255.0.0 10.0.0.9 200
host1(config)#ip route 172.16.0.1 255.255.0.0 10.0.0.9
% Inconsistent address and mask
host1(config)#ip route 172.17.0.0 255.255.0.0 127.0.0.1
% Invalid next hop 127.0.0.1
host1(config)#ip route 172.17.0.0 255.255.0.0 gigabitEthernet 8/0/0
% Interface gigabitEthernet 8/0/0 does not exist
host1(config)#ip route 172.17.0.0 255.255.0.0 fastEthernet 6/0/0
% Routes through the management port belong to the kernel; use its ip address and gateway
host1(config)#ip route 172.17.0.0 255.255.0.0 gigabitEthernet 2/0/0.5
% Interface gigabitEthernet 2/0/0.5 does not exist
host1(config)#no ip route 10.10.0.0 255.255.0.0
% No matching route to delete
host1(config)#end
host1#show ip route
Protocol/Route type codes:
  C- connected, L- local, S- static, H- host (subscriber access)

Prefix/Length Type  Next Hop  Dist/Met         Intf        
------------- ---- ---------- -------- --------------------
0.0.0.0/0     S    10.0.0.254 1/0      GigabitEthernet2/0/0
10.0.0.0/24   C    10.0.0.1   0/0      GigabitEthernet2/0/0
10.0.0.1/32   L    10.0.0.1   0/0      GigabitEthernet2/0/0
10.0.1.0/24   C    10.0.1.1   0/0      GigabitEthernet2/0/1
10.0.1.1/32   L    10.0.1.1   0/0      GigabitEthernet2/0/1
172.16.0.0/16 S       ---     1/0      GigabitEthernet2/0/1
192.0.2.1/32  L    192.0.2.1  0/0      loopback0           
host1#show ip route 172.16.9.9
Protocol/Route type codes:
  C- connected, L- local, S- static, H- host (subscriber access)

Prefix/Length Type Next Hop Dist/Met         Intf        
------------- ---- -------- -------- --------------------
172.16.0.0/16 S      ---    1/0      GigabitEthernet2/0/1
host1#show ip route 10.0.1.1
Protocol/Route type codes:
  C- connected, L- local, S- static, H- host (subscriber access)

Prefix/Length Type Next Hop Dist/Met         Intf        
------------- ---- -------- -------- --------------------
10.0.1.1/32   L    10.0.1.1 0/0      GigabitEthernet2/0/1
host1#configure terminal
host1(config)#no ip route 0.0.0.0 0.0.0.0
host1(config)#no ip route 172.16.0.0 255.255.0.0 10.0.0.9
host1(config)#end
host1#show ip route
Protocol/Route type codes:
  C- connected, L- local, S- static, H- host (subscriber access)

Prefix/Length Type Next Hop  Dist/Met         Intf        
------------- ---- --------- -------- --------------------
10.0.0.0/24   C    10.0.0.1  0/0      GigabitEthernet2/0/0
10.0.0.1/32   L    10.0.0.1  0/0      GigabitEthernet2/0/0
10.0.1.0/24   C    10.0.1.1  0/0      GigabitEthernet2/0/1
10.0.1.1/32   L    10.0.1.1  0/0      GigabitEthernet2/0/1
172.16.0.0/16 S       ---    1/0      GigabitEthernet2/0/1
192.0.2.1/32  L    192.0.2.1 0/0      loopback0           
host1#show ip route 8.8.8.8
% Network not in table
host1#`},
	{name: "virtual routers", setup: []string{
		"interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0",
	}, lines: []string{
		"configure terminal",
		"virtual-router bad/name",
		"virtual-router vr1",
		"interface gigabitEthernet 2/0/0",
		"ip address 10.0.0.2 255.255.255.0",
		"interface gigabitEthernet 2/0/1",
		"ip address 10.0.0.1 255.255.255.0",
		"ip route 10.5.0.0 255.255.0.0 gigabitEthernet 2/0/0",
		"ip route 10.5.0.0 255.255.0.0 10.0.0.7",
		"end",
		"show ip interface brief",
		"show ip route",
		"configure terminal",
		"virtual-router default",
		"no virtual-router vr1",
		"no virtual-router default",
		"no virtual-router vr9",
		"virtual-router vr1",
		"interface gigabitEthernet 2/0/1",
		"no ip address",
		"exit",
		"do show ip route",
		"no virtual-router vr1",
		"ip route 10.6.0.0 255.255.0.0 10.0.0.7",
		"exit",
		"virtual-router vr2",
		"virtual-router default",
		"show virtual-router",
	}, want: `host1#configure terminal
host1(config)#virtual-router bad/name
% Invalid virtual router name "bad/name"
host1(config)#virtual-router vr1
host1:vr1(config)#interface gigabitEthernet 2/0/0
host1:vr1(config-if)#ip address 10.0.0.2 255.255.255.0
% Interface gigabitEthernet 2/0/0 is in virtual router default
host1:vr1(config-if)#interface gigabitEthernet 2/0/1
host1:vr1(config-if)#ip address 10.0.0.1 255.255.255.0
host1:vr1(config-if)#ip route 10.5.0.0 255.255.0.0 gigabitEthernet 2/0/0
% Interface gigabitEthernet 2/0/0 is in virtual router default
host1:vr1(config)#ip route 10.5.0.0 255.255.0.0 10.0.0.7
host1:vr1(config)#end
host1:vr1#show ip interface brief
     Interface       IP-Address Status Protocol
-------------------- ---------- ------ --------
GigabitEthernet2/0/1 10.0.0.1   up     up      
host1:vr1#show ip route
Protocol/Route type codes:
  C- connected, L- local, S- static, H- host (subscriber access)

Prefix/Length Type Next Hop Dist/Met         Intf        
------------- ---- -------- -------- --------------------
10.0.0.0/24   C    10.0.0.1 0/0      GigabitEthernet2/0/1
10.0.0.1/32   L    10.0.0.1 0/0      GigabitEthernet2/0/1
10.5.0.0/16   S    10.0.0.7 1/0      GigabitEthernet2/0/1
host1:vr1#configure terminal
host1:vr1(config)#virtual-router default
host1(config)#no virtual-router vr1
% Virtual router vr1 has interfaces (gigabitEthernet 2/0/1); remove their addresses first
host1(config)#no virtual-router default
% The default virtual router cannot be deleted
host1(config)#no virtual-router vr9
% Virtual router vr9 does not exist
host1(config)#virtual-router vr1
host1:vr1(config)#interface gigabitEthernet 2/0/1
host1:vr1(config-if)#no ip address
host1:vr1(config-if)#exit
host1:vr1(config)#do show ip route
Protocol/Route type codes:
  C- connected, L- local, S- static, H- host (subscriber access)

Prefix/Length Type Next Hop Dist/Met Intf
------------- ---- -------- -------- ----
10.5.0.0/16   S    10.0.0.7 1/0      --- 
host1:vr1(config)#no virtual-router vr1
host1(config)#ip route 10.6.0.0 255.255.0.0 10.0.0.7
host1(config)#exit
host1#virtual-router vr2
% Virtual router vr2 does not exist
host1#virtual-router default
host1#show virtual-router
Virtual Router IP Interfaces Static Routes Static ARP
-------------- ------------- ------------- ----------
default        2             1             0         
host1#`},
	{name: "static arp", setup: []string{
		"interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0",
		"interface gigabitEthernet 2/0/1", "ip address 10.0.1.1 255.255.255.0",
	}, lines: []string{
		"configure terminal",
		"arp 10.0.0.9 0200.0000.0009",
		"arp 10.0.1.9 02:00:00:00:01:09",
		"arp 10.0.2.9 0200.0000.0209",
		"arp 10.0.0.1 0200.0000.0001",
		"arp 10.0.0.8 0200.0000.000",
		"arp 10.0.0.8 0100.5e00.0001",
		"arp 10.0.0.8 zz00.0000.0001",
		"no arp 10.0.0.77",
		"end",
		"show arp",
		"clear arp-cache",
		"show arp",
		"configure terminal",
		"no arp 10.0.1.9",
		"interface gigabitEthernet 2/0/0",
		"ip address 10.0.5.1 255.255.255.0",
		"end",
		"show arp",
	}, want: `host1#configure terminal
host1(config)#arp 10.0.0.9 0200.0000.0009
host1(config)#arp 10.0.1.9 02:00:00:00:01:09
host1(config)#arp 10.0.2.9 0200.0000.0209
% No interface in virtual router default has a subnet containing 10.0.2.9
host1(config)#arp 10.0.0.1 0200.0000.0001
% 10.0.0.1 is an address of this router (gigabitEthernet 2/0/0)
host1(config)#arp 10.0.0.8 0200.0000.000
% Invalid MAC address (use xxxx.xxxx.xxxx)
host1(config)#arp 10.0.0.8 0100.5e00.0001
% MAC address 0100.5e00.0001 is not a unicast address
host1(config)#arp 10.0.0.8 zz00.0000.0001
% Invalid MAC address (use xxxx.xxxx.xxxx)
host1(config)#no arp 10.0.0.77
% No static ARP entry for 10.0.0.77
host1(config)#end
host1#show arp
Address  Age Hardware Addr       Interface      
-------- --- -------------- --------------------
10.0.0.9 --- 0200.0000.0009 GigabitEthernet2/0/0
10.0.1.9 --- 0200.0000.0109 GigabitEthernet2/0/1
host1#clear arp-cache
host1#show arp
Address  Age Hardware Addr       Interface      
-------- --- -------------- --------------------
10.0.0.9 --- 0200.0000.0009 GigabitEthernet2/0/0
10.0.1.9 --- 0200.0000.0109 GigabitEthernet2/0/1
host1#configure terminal
host1(config)#no arp 10.0.1.9
host1(config)#interface gigabitEthernet 2/0/0
host1(config-if)#ip address 10.0.5.1 255.255.255.0
host1(config-if)#end
host1#show arp
Address Age Hardware Addr Interface
------- --- ------------- ---------
host1#`},
	{name: "ping and traceroute", prober: "echo", lines: []string{
		"ping 10.0.0.2",
		"ping 10.0.0.2 count 2 size 1500 timeout 1",
		"ping 10.0.0.2 count 0",
		"traceroute 10.0.0.2",
	}, want: `host1#ping 10.0.0.2
Sending 5, 100-byte ICMP Echos to 10.0.0.2, timeout is 2 seconds:
!!!!!
Success rate = 100% (5/5), round-trip min/avg/max = 1/3/5 ms
host1#ping 10.0.0.2 count 2 size 1500 timeout 1
Sending 2, 1500-byte ICMP Echos to 10.0.0.2, timeout is 1 seconds:
!!
Success rate = 100% (2/2), round-trip min/avg/max = 1/1/2 ms
host1#ping 10.0.0.2 count 0
                    ^
% Invalid input detected at '^' marker.
host1#traceroute 10.0.0.2
Tracing the route to 10.0.0.2, 30 hops max, 3 probes per hop, timeout is 3 seconds
  1 10.9.9.1 1 ms 2 ms 3 ms
  2 10.9.9.2 4 ms 5 ms 6 ms
  3 10.0.0.2 7 ms 8 ms 9 ms
host1#`},
	{name: "ping unreachable", prober: "unreachable", lines: []string{
		"ping 10.0.0.3 count 3",
		"traceroute 10.0.0.3 max-ttl 3 timeout 1",
	}, want: `host1#ping 10.0.0.3 count 3
Sending 3, 100-byte ICMP Echos to 10.0.0.3, timeout is 2 seconds:
UUU
Success rate = 0% (0/3)
host1#traceroute 10.0.0.3 max-ttl 3 timeout 1
Tracing the route to 10.0.0.3, 3 hops max, 3 probes per hop, timeout is 1 seconds
  1 10.9.9.1 1 ms 1 ms 1 ms
  2 10.9.9.1 !H !H !H
host1#`},
	{name: "ping without route", prober: "noroute", lines: []string{
		"ping 10.0.0.4",
		"traceroute 10.0.0.4",
	}, want: `host1#ping 10.0.0.4
Sending 5, 100-byte ICMP Echos to 10.0.0.4, timeout is 2 seconds:
% No route to 10.0.0.4 in virtual router default
host1#traceroute 10.0.0.4
Tracing the route to 10.0.0.4, 30 hops max, 3 probes per hop, timeout is 3 seconds
  1
% No route to 10.0.0.4 in virtual router default
host1#`},
	{name: "ping lost", prober: "lost", lines: []string{
		"ping 10.0.0.5 count 2",
		"traceroute 10.0.0.5 max-ttl 2",
	}, want: `host1#ping 10.0.0.5 count 2
Sending 2, 100-byte ICMP Echos to 10.0.0.5, timeout is 2 seconds:
..
Success rate = 0% (0/2)
host1#traceroute 10.0.0.5 max-ttl 2
Tracing the route to 10.0.0.5, 2 hops max, 3 probes per hop, timeout is 3 seconds
  1 * * *
  2 * * *
host1#`},
	{name: "configuration scopes", setup: []string{
		"interface gigabitEthernet 2/0/1", "encapsulation vlan", "interface gigabitEthernet 2/0/1.200", "vlan id 200",
		"interface gigabitEthernet 2/0/0", "ip address 10.0.0.1 255.255.255.0", "exit",
		"ip route 0.0.0.0 0.0.0.0 10.0.0.254",
		"virtual-router vr1", "interface gigabitEthernet 2/0/1.200", "ip address 10.2.0.1 255.255.255.0", "exit",
		"ip route 0.0.0.0 0.0.0.0 10.2.0.254",
	}, lines: []string{
		"show configuration virtual-router vr1",
		"show configuration interface gigabitEthernet 2/0/1.200",
		"show configuration category routing",
	}, want: `host1#show configuration virtual-router vr1
! Configuration script being generated on FRI NOV 27 2026 12:00:00 UTC
! Copyright (c) 2026 erx authors.  All rights reserved.
!
virtual-router vr1
interface gigabitEthernet 2/0/1.200
 ip address 10.2.0.1 255.255.255.0
ip route 0.0.0.0 0.0.0.0 10.2.0.254
!
! end of generated configuration script
host1#show configuration interface gigabitEthernet 2/0/1.200
! Configuration script being generated on FRI NOV 27 2026 12:00:00 UTC
! Copyright (c) 2026 erx authors.  All rights reserved.
!
interface gigabitEthernet 2/0/1.200
 vlan id 200
virtual-router vr1
interface gigabitEthernet 2/0/1.200
 ip address 10.2.0.1 255.255.255.0
!
! end of generated configuration script
host1#show configuration category routing
! Configuration script being generated on FRI NOV 27 2026 12:00:00 UTC
! Copyright (c) 2026 erx authors.  All rights reserved.
!
ip route 0.0.0.0 0.0.0.0 10.0.0.254
virtual-router vr1
ip route 0.0.0.0 0.0.0.0 10.2.0.254
!
! end of generated configuration script
host1#`},
	{name: "user level", priv: 1, lines: []string{
		"show ip interface brief",
		"clear arp-cache",
		"ping 10.0.0.2 count 1",
		"configure terminal",
	}, want: `host1>show ip interface brief
     ^
% Invalid input detected at '^' marker.
host1>clear arp-cache
% Unrecognized command
host1>ping 10.0.0.2 count 1
Sending 1, 100-byte ICMP Echos to 10.0.0.2, timeout is 2 seconds:
.
Success rate = 0% (0/1)
host1>configure terminal
% Unrecognized command
host1>`},
}
