import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterNetworkArgs {
    /** A /16; each zone gets a /20 public and a /19 private subnet out of it. */
    readonly cidr: string;
    /** Availability zones to spread over (two or three). */
    readonly availabilityZones: pulumi.Input<string[]>;
    /** EKS cluster name, for the subnet tags the load-balancer controllers look for. */
    readonly clusterName: string;
}

export const ZONES = 3;

/** Subnet CIDRs of zone `i` in a /16: public 10.x.(16i).0/20, private 10.x.(64 + 32i).0/19. */
export function subnetCidrs(cidr: string, i: number): { public: string; private: string } {
    const m = /^(\d+)\.(\d+)\.\d+\.\d+\/16$/.exec(cidr);
    if (!m) throw new Error(`cidr: "${cidr}" must be a /16, e.g. "10.60.0.0/16"`);
    if (!Number.isInteger(i) || i < 0 || i >= ZONES) throw new Error(`zone index ${i} must be 0..${ZONES - 1}`);
    return { public: `${m[1]}.${m[2]}.${16 * i}.0/20`, private: `${m[1]}.${m[2]}.${64 + 32 * i}.0/19` };
}

/**
 * The DR cluster's own VPC: per zone a public subnet with a NAT gateway and a private subnet
 * for the nodes. One NAT gateway per zone, because a regional disaster elsewhere is exactly
 * when this region must not depend on a single zone.
 */
export class ClusterNetwork extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string>[];
    public readonly publicSubnetIds: pulumi.Output<string>[];

    constructor(name: string, args: ClusterNetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("fortress:cluster:ClusterNetwork", name, {}, opts);
        subnetCidrs(args.cidr, 0); // fails early on a bad CIDR
        const child = { parent: this };
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: args.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name } }, child);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: name } }, child);
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { Name: `${name}-public` } }, child);
        const zone = (i: number) => pulumi.output(args.availabilityZones).apply((zs) => {
            if (zs.length < 2) throw new Error(`ClusterNetwork ${name}: ${zs.length} availability zone(s) given; EKS needs subnets in at least two`);
            return zs[i % zs.length];
        });
        const cluster = `kubernetes.io/cluster/${args.clusterName}`;
        this.publicSubnetIds = [];
        this.privateSubnetIds = [];
        for (let i = 0; i < ZONES; i++) {
            const cidrs = subnetCidrs(args.cidr, i);
            const pub = new aws.ec2.Subnet(
                `${name}-public-${i}`,
                { vpcId: vpc.id, cidrBlock: cidrs.public, availabilityZone: zone(i), mapPublicIpOnLaunch: false, tags: { Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1", [cluster]: "shared" } },
                child,
            );
            new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, child);
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { Name: `${name}-nat-${i}` } }, child);
            const nat = new aws.ec2.NatGateway(`${name}-nat-${i}`, { subnetId: pub.id, allocationId: eip.id, tags: { Name: `${name}-nat-${i}` } }, { parent: this, dependsOn: [igw] });
            const priv = new aws.ec2.Subnet(
                `${name}-private-${i}`,
                { vpcId: vpc.id, cidrBlock: cidrs.private, availabilityZone: zone(i), tags: { Name: `${name}-private-${i}`, "kubernetes.io/role/internal-elb": "1", [cluster]: "shared" } },
                child,
            );
            const routes = new aws.ec2.RouteTable(`${name}-private-${i}`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { Name: `${name}-private-${i}` } }, child);
            new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: priv.id, routeTableId: routes.id }, child);
            this.publicSubnetIds.push(pub.id);
            this.privateSubnetIds.push(priv.id);
        }
        this.vpcId = vpc.id;
        this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
    }
}
