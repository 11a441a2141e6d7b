// Stand-in Akash chain: a CometBFT JSON-RPC subset (what cosmjs' signing client uses) and a
// gRPC-gateway REST subset (what chain-sdk's web query client uses), over loopback HTTP.
// It checks what a real node checks for the messages the lease pipeline sends — signatures
// over SignDoc(chain id, account number, sequence), account sequences, fees in uakt, the uact
// deposit and price rule, unique dseq per owner, the order/bid/lease state machine — and
// scripted providers bid on open orders. See ../README.md for what it cannot prove.
import http from "node:http";
import { createHash } from "node:crypto";
import { rawSecp256k1PubkeyToRawAddress } from "@cosmjs/amino";
import { Secp256k1, Secp256k1Signature } from "@cosmjs/crypto";
import { toBech32 } from "@cosmjs/encoding";
import { akashV1, cosmosSecp256k1, cosmosV1beta1, v1beta4, v1beta5, type GroupSpec } from "../../sdk/akash/chain-sdk";
import { atomicsToDec, decToAtomics } from "../../sdk/akash/dec";
import { logger } from "../../relayer/log";

const log = logger("akash-standin");

export interface StandinProvider {
  address: string;
  /** filled in when the provider gateway listens */
  hostUri: string;
  attributes: { key: string; value: string }[];
  /** bid at this fraction of the order's max price (per mille; 800 = 80 %) */
  bidPermille: number;
  /** false: this provider never bids (for the no-bids path) */
  bids: boolean;
}

export interface StandinChainOptions {
  chainId?: string;
  /** minimum gas price in uakt (fees must be paid in uakt) */
  minGasPriceUakt?: number;
  /** minimum deployment deposit in uact */
  minDepositUact?: bigint;
  providers?: StandinProvider[];
}

interface Account {
  number: number;
  sequence: number;
  pubkey?: Uint8Array;
  balances: Map<string, bigint>;
}
interface DeploymentRec {
  owner: string;
  dseq: string;
  hash: Uint8Array;
  state: "active" | "closed";
  groups: Uint8Array[]; // encoded GroupSpec
  escrow: { denom: string; balance: bigint };
  createdAt: number;
}
interface OrderRec {
  state: "open" | "active" | "closed";
  createdAt: number;
}
type BidState = "open" | "active" | "lost" | "closed";
interface BidRec {
  owner: string;
  dseq: string;
  gseq: number;
  oseq: number;
  provider: string;
  bseq: number;
  state: BidState;
  price: { denom: string; amount: string };
  createdAt: number;
}
interface LeaseRec extends Omit<BidRec, "state"> {
  state: "active" | "closed";
  closedOn: number;
}
interface TxRec {
  height: number;
  index: number;
  tx: Uint8Array;
  code: number;
  codespace: string;
  log: string;
  data: Uint8Array;
  gasWanted: number;
  gasUsed: number;
}
interface State {
  accounts: Map<string, Account>;
  deployments: Map<string, DeploymentRec>;
  orders: Map<string, OrderRec>;
  bids: Map<string, BidRec>;
  leases: Map<string, LeaseRec>;
  /** every MsgUpdateDeployment applied, in order (in the state: a simulation or a failed tx leaves no entry) */
  versionUpdates: { owner: string; dseq: string; hash: string; height: number }[];
}

/** A rejection with the code and codespace a real node would answer. */
export class StandinTxError extends Error {
  constructor(
    readonly codespace: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
const reject = (codespace: string, code: number, msg: string): never => {
  throw new StandinTxError(codespace, code, msg);
};

const MSG = {
  createDeployment: "/akash.deployment.v1beta4.MsgCreateDeployment",
  closeDeployment: "/akash.deployment.v1beta4.MsgCloseDeployment",
  updateDeployment: "/akash.deployment.v1beta4.MsgUpdateDeployment",
  createLease: "/akash.market.v1beta5.MsgCreateLease",
  accountDeposit: "/akash.escrow.v1.MsgAccountDeposit",
} as const;

const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const bidKey = (b: { owner: string; dseq: string; gseq: number; oseq: number; provider: string; bseq: number }) =>
  `${b.owner}/${b.dseq}/${b.gseq}/${b.oseq}/${b.provider}/${b.bseq}`;

export class StandinChain {
  readonly chainId: string;
  readonly minGasPriceUakt: number;
  readonly minDepositUact: bigint;
  readonly providers: StandinProvider[];
  height = 1;
  private time = new Date();
  private state: State = {
    accounts: new Map(),
    deployments: new Map(),
    orders: new Map(),
    bids: new Map(),
    leases: new Map(),
    versionUpdates: [],
  };
  private readonly txs = new Map<string, TxRec>();
  private mempool: { hash: string; tx: Uint8Array }[] = [];
  /** txs in the mempool (broadcast, not yet in a block) */
  get pendingTxs(): number {
    return this.mempool.length;
  }
  private nextAccountNumber = 7;
  /** every MsgUpdateDeployment delivered, in order (for tests: "one update per handover") */
  get versionUpdates(): readonly { owner: string; dseq: string; hash: string; height: number }[] {
    return this.state.versionUpdates;
  }
  /** every tx the chain has seen delivered, in order (for tests: "exactly one deployment") */
  readonly delivered: { hash: string; typeUrls: string[]; code: number }[] = [];

  constructor(opts: StandinChainOptions = {}) {
    this.chainId = opts.chainId ?? "akash-standin-1";
    this.minGasPriceUakt = opts.minGasPriceUakt ?? 0.025;
    this.minDepositUact = opts.minDepositUact ?? 5_000_000n;
    this.providers = opts.providers ?? [];
  }

  // ------------------------------------------------------------------ genesis / inspection

  fund(address: string, denom: string, amount: bigint): void {
    const a = this.account(address);
    a.balances.set(denom, (a.balances.get(denom) ?? 0n) + amount);
  }
  balance(address: string, denom: string): bigint {
    return this.state.accounts.get(address)?.balances.get(denom) ?? 0n;
  }
  pubkeyOf(address: string): Uint8Array | undefined {
    return this.state.accounts.get(address)?.pubkey;
  }
  deployment(owner: string, dseq: string): Readonly<DeploymentRec> | undefined {
    return this.state.deployments.get(`${owner}/${dseq}`);
  }
  deploymentsOf(owner: string): Readonly<DeploymentRec>[] {
    return [...this.state.deployments.values()].filter((d) => d.owner === owner);
  }
  leasesOf(owner: string, dseq?: string): Readonly<LeaseRec>[] {
    return [...this.state.leases.values()].filter((l) => l.owner === owner && (dseq === undefined || l.dseq === dseq));
  }
  activeLease(owner: string, dseq: string, provider: string): Readonly<LeaseRec> | undefined {
    return [...this.state.leases.values()].find(
      (l) => l.owner === owner && l.dseq === dseq && l.provider === provider && l.state === "active",
    );
  }
  /** Close a lease as a provider would (e.g. after a failed deployment): for tests. */
  providerCloseLease(owner: string, dseq: string): void {
    for (const l of this.state.leases.values())
      if (l.owner === owner && l.dseq === dseq) {
        l.state = "closed";
        l.closedOn = this.height;
      }
  }

  private account(address: string): Account {
    let a = this.state.accounts.get(address);
    if (!a) {
      a = { number: this.nextAccountNumber++, sequence: 0, balances: new Map() };
      this.state.accounts.set(address, a);
    }
    return a;
  }

  // ------------------------------------------------------------------ transactions

  /** CheckTx: decode, find the signer, check sequence, signature and fee. */
  private async check(txBytes: Uint8Array, simulate: boolean, pendingFromSigner = 0) {
    let raw, body, auth;
    try {
      raw = cosmosV1beta1.TxRaw.decode(txBytes);
      body = cosmosV1beta1.TxBody.decode(raw.bodyBytes);
      auth = cosmosV1beta1.AuthInfo.decode(raw.authInfoBytes);
    } catch (e) {
      return reject("sdk", 2, `tx parse error: ${(e as Error).message}`);
    }
    if (auth.signerInfos.length !== 1 || raw.signatures.length !== 1)
      reject("sdk", 4, "the stand-in accepts exactly one signer per tx: unauthorized");
    const si = auth.signerInfos[0];
    if (si.publicKey?.typeUrl !== "/cosmos.crypto.secp256k1.PubKey")
      reject("sdk", 4, `unsupported signer key type ${si.publicKey?.typeUrl}`);
    const pubkey = cosmosSecp256k1.PubKey.decode(si.publicKey!.value).key;
    const signer = toBech32("akash", rawSecp256k1PubkeyToRawAddress(pubkey));
    const acc = this.state.accounts.get(signer);
    if (!acc) return reject("sdk", 9, `account ${signer} not found: unknown address`);
    if (acc.pubkey && hex(acc.pubkey) !== hex(pubkey))
      reject("sdk", 8, `pubkey does not match the account's on-chain key: invalid pubkey`);
    const seq = Number(si.sequence.toString());
    // CheckTx runs against the mempool's state: txs waiting from this signer have used their sequences
    const expected = acc.sequence + pendingFromSigner;
    if (seq !== expected)
      reject("sdk", 32, `account sequence mismatch, expected ${expected}, got ${seq}: incorrect account sequence`);
    const gasLimit = Number(auth.fee?.gasLimit.toString() ?? "0");
    if (!simulate) {
      const signDoc = cosmosV1beta1.SignDoc.encode(
        cosmosV1beta1.SignDoc.fromPartial({
          bodyBytes: raw.bodyBytes,
          authInfoBytes: raw.authInfoBytes,
          chainId: this.chainId,
          accountNumber: BigInt(acc.number),
        }),
      ).finish();
      let ok: boolean;
      try {
        ok = await Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(raw.signatures[0]), sha256(signDoc), pubkey);
      } catch {
        ok = false;
      }
      if (!ok)
        reject(
          "sdk",
          4,
          `signature verification failed; please verify account number (${acc.number}) and chain-id (${this.chainId}): unauthorized`,
        );
      const feeUakt = (auth.fee?.amount ?? []).filter((c) => c.denom === "uakt").reduce((s, c) => s + BigInt(c.amount), 0n);
      const required = BigInt(Math.ceil(gasLimit * this.minGasPriceUakt));
      if (feeUakt < required) {
        const paid = (auth.fee?.amount ?? []).map((c) => `${c.amount}${c.denom}`).join(",") || "nothing";
        reject("sdk", 13, `insufficient fees; got: ${paid} required: ${required}uakt (fees are paid in uakt)`);
      }
      if ((acc.balances.get("uakt") ?? 0n) < feeUakt)
        reject("sdk", 5, `${acc.balances.get("uakt") ?? 0n}uakt is smaller than ${feeUakt}uakt: insufficient funds for the fee`);
    }
    const msgs = body.messages.map((m) => ({ typeUrl: m.typeUrl, value: m.value }));
    for (const m of msgs)
      if (!Object.values(MSG).includes(m.typeUrl as (typeof MSG)[keyof typeof MSG]))
        reject("sdk", 2, `unable to resolve type URL ${m.typeUrl}: the stand-in implements ${Object.values(MSG).join(", ")}`);
    return { signer, acc, pubkey, msgs, auth, gasLimit };
  }

  /** DeliverTx: fee and sequence always; messages all-or-nothing. */
  private async deliver(txBytes: Uint8Array): Promise<Omit<TxRec, "height" | "index" | "tx">> {
    const ctx = await this.check(txBytes, false);
    const fee = (ctx.auth.fee?.amount ?? []).filter((c) => c.denom === "uakt").reduce((s, c) => s + BigInt(c.amount), 0n);
    ctx.acc.balances.set("uakt", (ctx.acc.balances.get("uakt") ?? 0n) - fee);
    ctx.acc.sequence += 1;
    ctx.acc.pubkey = ctx.pubkey;
    const before = this.cloneState();
    try {
      const responses = ctx.msgs.map((m) => this.apply(m.typeUrl, m.value, ctx.signer));
      const data = cosmosV1beta1.TxMsgData.encode(
        cosmosV1beta1.TxMsgData.fromPartial({ msgResponses: responses.map((typeUrl) => ({ typeUrl, value: new Uint8Array() })) }),
      ).finish();
      return { code: 0, codespace: "", log: "", data, gasWanted: ctx.gasLimit, gasUsed: 80_000 + 30_000 * ctx.msgs.length };
    } catch (e) {
      // keep the fee and sequence, undo the messages
      const acc = this.state.accounts.get(ctx.signer)!;
      this.state = before;
      this.state.accounts.set(ctx.signer, acc);
      if (!(e instanceof StandinTxError)) throw e;
      return {
        code: e.code,
        codespace: e.codespace,
        log: e.message,
        data: new Uint8Array(),
        gasWanted: ctx.gasLimit,
        gasUsed: 60_000,
      };
    }
  }

  private cloneState(): State {
    return structuredClone(this.state);
  }

  private apply(typeUrl: string, value: Uint8Array, signer: string): string {
    switch (typeUrl) {
      case MSG.createDeployment: {
        const m = v1beta4.MsgCreateDeployment.decode(value);
        const owner = m.id?.owner ?? "";
        const dseq = m.id?.dseq.toString() ?? "0";
        if (owner !== signer) reject("sdk", 4, `deployment owner ${owner} is not the signer ${signer}: unauthorized`);
        if (dseq === "0") reject("deployment", 2, "invalid deployment id: dseq must be > 0");
        if (this.state.deployments.has(`${owner}/${dseq}`))
          reject("deployment", 3, `deployment ${owner}/${dseq} exists: deployment exists`);
        const deposit = m.deposit?.amount;
        if (!deposit) return reject("deployment", 13, "invalid deposit: missing");
        if (deposit.denom !== "uact")
          reject("deployment", 13, `invalid deposit: deployments are funded in uact, got ${deposit.denom} (ErrInvalidDeposit)`);
        if (BigInt(deposit.amount) < this.minDepositUact)
          reject("deployment", 13, `invalid deposit: ${deposit.amount}uact is below the minimum ${this.minDepositUact}uact`);
        if (m.hash.length !== 32)
          reject("deployment", 8, `invalid deployment version: hash must be 32 bytes, got ${m.hash.length}`);
        if (m.groups.length === 0) reject("deployment", 4, "invalid deployment groups: empty");
        m.groups.forEach((g: GroupSpec) => {
          if (g.resources.length === 0) reject("deployment", 4, `group ${g.name}: no resources`);
          for (const r of g.resources) {
            if (r.price?.denom !== "uact")
              reject(
                "deployment",
                13,
                `invalid deposit: group ${g.name} is priced in ${r.price?.denom}, deployments are priced in uact`,
              );
            if (r.count === 0) reject("deployment", 4, `group ${g.name}: resource count is 0`);
          }
        });
        this.debit(owner, "uact", BigInt(deposit.amount));
        this.state.deployments.set(`${owner}/${dseq}`, {
          owner,
          dseq,
          hash: m.hash,
          state: "active",
          groups: m.groups.map((g) => v1beta4.GroupSpec.encode(g).finish()),
          escrow: { denom: "uact", balance: BigInt(deposit.amount) },
          createdAt: this.height,
        });
        m.groups.forEach((_, i) =>
          this.state.orders.set(`${owner}/${dseq}/${i + 1}/1`, { state: "open", createdAt: this.height }),
        );
        return "/akash.deployment.v1beta4.MsgCreateDeploymentResponse";
      }
      case MSG.createLease: {
        const m = v1beta5.MsgCreateLease.decode(value);
        const b = m.bidId;
        if (!b) return reject("market", 2, "missing bid id");
        if (b.owner !== signer)
          reject("sdk", 4, `only the deployment owner ${b.owner} may create the lease, signer is ${signer}: unauthorized`);
        const id = { owner: b.owner, dseq: b.dseq.toString(), gseq: b.gseq, oseq: b.oseq, provider: b.provider, bseq: b.bseq };
        const bid = this.state.bids.get(bidKey(id));
        if (!bid) return reject("market", 9, `bid ${bidKey(id)} not found: unknown bid`);
        if (bid.state !== "open") reject("market", 10, `bid ${bidKey(id)} is ${bid.state}: bid not open`);
        const orderKey = `${id.owner}/${id.dseq}/${id.gseq}/${id.oseq}`;
        const order = this.state.orders.get(orderKey);
        if (!order || order.state !== "open") reject("market", 6, `order ${orderKey} is not open: order not open`);
        order!.state = "active";
        bid.state = "active";
        for (const other of this.state.bids.values()) {
          if (other !== bid && `${other.owner}/${other.dseq}/${other.gseq}/${other.oseq}` === orderKey && other.state === "open")
            other.state = "lost";
        }
        this.state.leases.set(bidKey(id), { ...bid, state: "active", closedOn: 0 });
        return "/akash.market.v1beta5.MsgCreateLeaseResponse";
      }
      case MSG.closeDeployment: {
        const m = v1beta4.MsgCloseDeployment.decode(value);
        const key = `${m.id?.owner}/${m.id?.dseq.toString()}`;
        if (m.id?.owner !== signer) reject("sdk", 4, `deployment owner ${m.id?.owner} is not the signer: unauthorized`);
        const d = this.state.deployments.get(key);
        if (!d) return reject("deployment", 5, `deployment ${key} not found: unknown deployment`);
        if (d.state !== "active") reject("deployment", 6, `deployment ${key} is closed: deployment closed`);
        this.closeAll(d!);
        return "/akash.deployment.v1beta4.MsgCloseDeploymentResponse";
      }
      case MSG.updateDeployment: {
        // a new version (manifest hash) for an active deployment, in place: groups, orders, leases
        // and escrow stay; the provider then accepts only a manifest of the new version
        const m = v1beta4.MsgUpdateDeployment.decode(value);
        const key = `${m.id?.owner}/${m.id?.dseq.toString()}`;
        if (m.id?.owner !== signer) reject("sdk", 4, `deployment owner ${m.id?.owner} is not the signer ${signer}: unauthorized`);
        const d = this.state.deployments.get(key);
        if (!d) return reject("deployment", 5, `deployment ${key} not found: unknown deployment`);
        if (d.state !== "active") reject("deployment", 6, `deployment ${key} is closed: deployment closed`);
        if (m.hash.length !== 32)
          reject("deployment", 8, `invalid deployment version: hash must be 32 bytes, got ${m.hash.length}`);
        d.hash = m.hash;
        this.state.versionUpdates.push({ owner: d.owner, dseq: d.dseq, hash: hex(m.hash), height: this.height });
        return "/akash.deployment.v1beta4.MsgUpdateDeploymentResponse";
      }
      case MSG.accountDeposit: {
        const m = akashV1.MsgAccountDeposit.decode(value);
        if (m.signer !== signer) reject("sdk", 4, `deposit signer ${m.signer} is not the tx signer ${signer}: unauthorized`);
        if (m.id?.scope !== akashV1.Scope.deployment) reject("escrow", 2, "the stand-in only funds deployment escrow accounts");
        const d = this.state.deployments.get(m.id?.xid ?? "");
        if (!d || d.state !== "active")
          return reject("escrow", 4, `escrow account deployment/${m.id?.xid} not found or closed: account closed`);
        const amount = m.deposit?.amount;
        if (!amount || amount.denom !== d.escrow.denom)
          reject("escrow", 5, `invalid deposit: escrow ${m.id?.xid} is in ${d.escrow.denom}, got ${amount?.denom}`);
        this.debit(signer, amount!.denom, BigInt(amount!.amount));
        d.escrow.balance += BigInt(amount!.amount);
        return "/akash.escrow.v1.MsgAccountDepositResponse";
      }
      default:
        return reject("sdk", 2, `unknown message ${typeUrl}`);
    }
  }

  private debit(address: string, denom: string, amount: bigint) {
    const a = this.account(address);
    const have = a.balances.get(denom) ?? 0n;
    if (have < amount)
      reject("sdk", 5, `spendable balance ${have}${denom} is smaller than ${amount}${denom}: insufficient funds`);
    a.balances.set(denom, have - amount);
  }
  private credit(address: string, denom: string, amount: bigint) {
    const a = this.account(address);
    a.balances.set(denom, (a.balances.get(denom) ?? 0n) + amount);
  }
  /** Close a deployment with its orders, bids and leases; what is left in its escrow returns to the owner. */
  private closeAll(d: DeploymentRec): void {
    const key = `${d.owner}/${d.dseq}`;
    d.state = "closed";
    for (const [k, o] of this.state.orders) if (k.startsWith(`${key}/`)) o.state = "closed";
    for (const b of this.state.bids.values())
      if (`${b.owner}/${b.dseq}` === key && (b.state === "open" || b.state === "active")) b.state = "closed";
    for (const l of this.state.leases.values())
      if (`${l.owner}/${l.dseq}` === key && l.state === "active") {
        l.state = "closed";
        l.closedOn = this.height;
      }
    this.credit(d.owner, d.escrow.denom, d.escrow.balance);
    d.escrow.balance = 0n;
  }
  /**
   * Tests: the deployment's escrow runs out (the stand-in does not settle escrow per block). As Akash
   * does for an overdrawn escrow account, its leases and the deployment are closed; nothing returns
   * to the owner.
   */
  exhaustEscrow(owner: string, dseq: string): void {
    const d = this.state.deployments.get(`${owner}/${dseq}`);
    if (!d || d.state !== "active") throw new Error(`deployment ${owner}/${dseq} is not active`);
    d.escrow.balance = 0n;
    this.closeAll(d);
  }
  escrowBalance(owner: string, dseq: string): bigint {
    return this.state.deployments.get(`${owner}/${dseq}`)?.escrow.balance ?? 0n;
  }

  // ------------------------------------------------------------------ blocks

  /** Commit the mempool as one block, then let the scripted providers bid on orders ≥ 1 block old. */
  async commitBlock(): Promise<void> {
    this.height += 1;
    this.time = new Date();
    const pending = this.mempool;
    this.mempool = [];
    for (const [index, p] of pending.entries()) {
      let r: Omit<TxRec, "height" | "index" | "tx">;
      try {
        r = await this.deliver(p.tx);
      } catch (e) {
        const err = e instanceof StandinTxError ? e : new StandinTxError("sdk", 1, (e as Error).message);
        r = { code: err.code, codespace: err.codespace, log: err.message, data: new Uint8Array(), gasWanted: 0, gasUsed: 0 };
      }
      this.txs.set(p.hash, { ...r, height: this.height, index, tx: p.tx });
      let typeUrls: string[] = [];
      try {
        typeUrls = cosmosV1beta1.TxBody.decode(cosmosV1beta1.TxRaw.decode(p.tx).bodyBytes).messages.map((m) => m.typeUrl);
      } catch {
        // undecodable: recorded with its error code
      }
      this.delivered.push({ hash: p.hash, typeUrls, code: r.code });
      log.debug({ height: this.height, hash: p.hash, code: r.code, log: r.log }, "stand-in delivered tx");
    }
    for (const [key, order] of this.state.orders) {
      if (order.state !== "open" || order.createdAt >= this.height) continue;
      const [owner, dseq, gseq, oseq] = key.split("/");
      const d = this.state.deployments.get(`${owner}/${dseq}`)!;
      const spec = v1beta4.GroupSpec.decode(d.groups[Number(gseq) - 1]);
      for (const p of this.providers) {
        if (!p.bids || !this.matches(p, spec)) continue;
        const id = { owner, dseq, gseq: Number(gseq), oseq: Number(oseq), provider: p.address, bseq: 0 };
        if (this.state.bids.has(bidKey(id))) continue;
        const max = spec.resources.reduce((s, r) => s + decToAtomics(r.price?.amount ?? "0") * BigInt(r.count), 0n);
        this.state.bids.set(bidKey(id), {
          ...id,
          state: "open",
          price: { denom: "uact", amount: atomicsToDec((max * BigInt(p.bidPermille)) / 1000n) },
          createdAt: this.height,
        });
      }
    }
  }

  /** A provider bids only when it has every attribute the group requires. */
  private matches(p: StandinProvider, spec: GroupSpec): boolean {
    return (spec.requirements?.attributes ?? []).every((a) =>
      p.attributes.some((pa) => pa.key === a.key && pa.value === a.value),
    );
  }

  // ------------------------------------------------------------------ CometBFT JSON-RPC

  private async rpc(method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case "status":
        return {
          node_info: {
            protocol_version: { p2p: "8", block: "11", app: "0" },
            id: "0".repeat(40),
            listen_addr: "tcp://127.0.0.1:0",
            network: this.chainId,
            version: "0.38.17",
            channels: "40",
            moniker: "akash-standin",
            other: { tx_index: "on", rpc_address: "tcp://127.0.0.1:0" },
          },
          sync_info: {
            latest_block_hash: "00".repeat(32),
            latest_app_hash: "00".repeat(32),
            latest_block_height: String(this.height),
            latest_block_time: this.time.toISOString(),
            catching_up: false,
          },
          validator_info: {
            address: "00".repeat(20),
            pub_key: { type: "tendermint/PubKeyEd25519", value: b64(new Uint8Array(32)) },
            voting_power: "10",
          },
        };
      case "abci_query":
        return { response: await this.abciQuery(String(params.path), Buffer.from(String(params.data ?? ""), "hex")) };
      case "broadcast_tx_sync": {
        const tx = new Uint8Array(Buffer.from(String(params.tx), "base64"));
        const hash = hex(sha256(tx)).toUpperCase();
        try {
          const signerOf = (t: Uint8Array) => {
            const si = cosmosV1beta1.AuthInfo.decode(cosmosV1beta1.TxRaw.decode(t).authInfoBytes).signerInfos[0];
            return si?.publicKey ? hex(cosmosSecp256k1.PubKey.decode(si.publicKey.value).key) : "";
          };
          const me = signerOf(tx);
          await this.check(tx, false, this.mempool.filter((p) => signerOf(p.tx) === me).length);
        } catch (e) {
          if (!(e instanceof StandinTxError)) throw e;
          return { code: e.code, data: "", log: e.message, codespace: e.codespace, hash };
        }
        if (this.txs.has(hash) || this.mempool.some((p) => p.hash === hash))
          return { code: 19, data: "", log: "tx already exists in cache", codespace: "sdk", hash };
        this.mempool.push({ hash, tx });
        return { code: 0, data: "", log: "[]", codespace: "", hash };
      }
      case "tx_search": {
        const m = /tx\.hash\s*=\s*'([0-9A-Fa-f]+)'/.exec(String(params.query));
        const t = m ? this.txs.get(m[1].toUpperCase()) : undefined;
        return t ? { txs: [this.txJson(m![1].toUpperCase(), t)], total_count: "1" } : { txs: [], total_count: "0" };
      }
      case "tx": {
        const h = Buffer.from(String(params.hash), "base64").toString("hex").toUpperCase();
        const t = this.txs.get(h);
        if (!t) throw Object.assign(new Error(`tx (${h}) not found`), { rpcCode: -32603 });
        return this.txJson(h, t);
      }
      default:
        throw Object.assign(new Error(`method ${method} is not implemented by the Akash stand-in`), { rpcCode: -32601 });
    }
  }

  private txJson(hash: string, t: TxRec) {
    return {
      hash,
      height: String(t.height),
      index: t.index,
      tx: b64(t.tx),
      tx_result: {
        code: t.code,
        data: b64(t.data),
        log: t.log,
        info: "",
        gas_wanted: String(t.gasWanted),
        gas_used: String(t.gasUsed),
        events: [],
        codespace: t.codespace,
      },
    };
  }

  private async abciQuery(path: string, data: Uint8Array) {
    const ok = (value: Uint8Array) => ({
      code: 0,
      log: "",
      info: "",
      index: "0",
      key: null,
      value: b64(value),
      proofOps: null,
      height: String(this.height),
      codespace: "",
    });
    const fail = (code: number, msg: string) => ({
      code,
      log: msg,
      info: "",
      index: "0",
      key: null,
      value: null,
      proofOps: null,
      height: String(this.height),
      codespace: "sdk",
    });
    switch (path) {
      case "/cosmos.auth.v1beta1.Query/Account": {
        const { address } = cosmosV1beta1.QueryAccountRequest.decode(data);
        const a = this.state.accounts.get(address);
        if (!a) return fail(22, `rpc error: code = NotFound desc = account ${address} not found: key not found`);
        const base = cosmosV1beta1.BaseAccount.encode(
          cosmosV1beta1.BaseAccount.fromPartial({
            address,
            accountNumber: BigInt(a.number),
            sequence: BigInt(a.sequence),
            pubKey: a.pubkey
              ? { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: cosmosSecp256k1.PubKey.encode({ key: a.pubkey }).finish() }
              : undefined,
          }),
        ).finish();
        return ok(
          cosmosV1beta1.QueryAccountResponse.encode(
            cosmosV1beta1.QueryAccountResponse.fromPartial({
              account: { typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value: base },
            }),
          ).finish(),
        );
      }
      case "/cosmos.bank.v1beta1.Query/Balance": {
        const { address, denom } = cosmosV1beta1.QueryBalanceRequest.decode(data);
        return ok(
          cosmosV1beta1.QueryBalanceResponse.encode(
            cosmosV1beta1.QueryBalanceResponse.fromPartial({ balance: { denom, amount: String(this.balance(address, denom)) } }),
          ).finish(),
        );
      }
      case "/cosmos.tx.v1beta1.Service/Simulate": {
        const { txBytes } = cosmosV1beta1.SimulateRequest.decode(data);
        try {
          const ctx = await this.check(txBytes, true);
          // run the messages on a copy, as a node's simulation does, and discard the result
          const saved = this.state;
          this.state = this.cloneState();
          try {
            for (const m of ctx.msgs) this.apply(m.typeUrl, m.value, ctx.signer);
          } finally {
            this.state = saved;
          }
          return ok(
            cosmosV1beta1.SimulateResponse.encode(
              cosmosV1beta1.SimulateResponse.fromPartial({
                gasInfo: { gasWanted: 0n, gasUsed: BigInt(80_000 + 30_000 * ctx.msgs.length) },
                result: { data: new Uint8Array(), log: "", events: [], msgResponses: [] },
              }),
            ).finish(),
          );
        } catch (e) {
          if (!(e instanceof StandinTxError)) throw e;
          return fail(e.code, e.message);
        }
      }
      default:
        return fail(6, `unknown query path ${path}`);
    }
  }

  // ------------------------------------------------------------------ gRPC-gateway REST

  private rest(url: URL): unknown {
    const q = url.searchParams;
    const f = (k: string) => q.get(`filters.${k}`) ?? "";
    const idMatch = (x: { owner: string; dseq: string; gseq: number; oseq: number; provider: string }) =>
      (!f("owner") || f("owner") === x.owner) &&
      (!f("dseq") || f("dseq") === "0" || f("dseq") === x.dseq) &&
      (!f("gseq") || f("gseq") === "0" || Number(f("gseq")) === x.gseq) &&
      (!f("oseq") || f("oseq") === "0" || Number(f("oseq")) === x.oseq) &&
      (!f("provider") || f("provider") === x.provider);
    const idOf = (x: BidRec | LeaseRec) => ({
      owner: x.owner,
      dseq: x.dseq,
      gseq: x.gseq,
      oseq: x.oseq,
      provider: x.provider,
      bseq: x.bseq,
    });
    switch (url.pathname) {
      case "/akash/market/v1beta5/bids/list": {
        const bids = [...this.state.bids.values()].filter((b) => idMatch(b) && (!f("state") || f("state") === b.state));
        return v1beta5.QueryBidsResponse.toJSON(
          v1beta5.QueryBidsResponse.fromPartial({
            bids: bids.map((b) => ({
              bid: {
                id: idOf(b),
                state: { open: 1, active: 2, lost: 3, closed: 4 }[b.state],
                price: b.price,
                createdAt: b.createdAt,
              },
            })),
            pagination: { total: BigInt(bids.length) },
          }),
        );
      }
      case "/akash/market/v1beta5/leases/list": {
        const leases = [...this.state.leases.values()].filter((l) => idMatch(l) && (!f("state") || f("state") === l.state));
        return v1beta5.QueryLeasesResponse.toJSON(
          v1beta5.QueryLeasesResponse.fromPartial({
            leases: leases.map((l) => ({
              lease: {
                id: idOf(l),
                state: l.state === "active" ? 1 : 3,
                price: l.price,
                createdAt: l.createdAt,
                closedOn: l.closedOn,
              },
            })),
            pagination: { total: BigInt(leases.length) },
          }),
        );
      }
      case "/akash/deployment/v1beta4/deployments/info": {
        const d = this.state.deployments.get(`${q.get("id.owner")}/${q.get("id.dseq")}`);
        if (!d)
          throw Object.assign(new Error(`deployment ${q.get("id.owner")}/${q.get("id.dseq")} not found`), { http: 404, grpc: 5 });
        return v1beta4.QueryDeploymentResponse.toJSON(
          v1beta4.QueryDeploymentResponse.fromPartial({
            deployment: {
              id: { owner: d.owner, dseq: d.dseq },
              state: d.state === "active" ? 1 : 2,
              hash: d.hash,
              createdAt: d.createdAt,
            },
            groups: [],
            escrowAccount: {
              id: { scope: 1, xid: `${d.owner}/${d.dseq}` },
              state: {
                owner: d.owner,
                state: d.state === "active" ? 1 : 2,
                funds: [{ denom: d.escrow.denom, amount: atomicsToDec(d.escrow.balance * 10n ** 18n) }],
              },
            },
          }),
        );
      }
      default: {
        const m = /^\/akash\/provider\/v1beta4\/providers\/([0-9a-z]+)$/.exec(url.pathname);
        const p = m && this.providers.find((x) => x.address === m[1]);
        if (p)
          return v1beta4.QueryProviderResponse.toJSON(
            v1beta4.QueryProviderResponse.fromPartial({
              provider: { owner: p.address, hostUri: p.hostUri, attributes: p.attributes },
            }),
          );
        if (m) throw Object.assign(new Error(`provider ${m[1]} not found`), { http: 404, grpc: 5 });
        throw Object.assign(new Error(`${url.pathname} is not implemented by the Akash stand-in`), { http: 501, grpc: 12 });
      }
    }
  }

  // ------------------------------------------------------------------ servers

  rpcHandler(): http.RequestListener {
    return (req, res) => {
      const chunks: Buffer[] = [];
      req
        .on("data", (c: Buffer) => chunks.push(c))
        .on("end", () => {
          void (async () => {
            let body: { id?: unknown; method?: string; params?: Record<string, unknown> };
            try {
              body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              res.writeHead(400).end();
              return;
            }
            let out: unknown;
            try {
              out = { jsonrpc: "2.0", id: body.id, result: await this.rpc(String(body.method), body.params ?? {}) };
            } catch (e) {
              const err = e as Error & { rpcCode?: number };
              out = {
                jsonrpc: "2.0",
                id: body.id,
                error: { code: err.rpcCode ?? -32603, message: err.message, data: err.message },
              };
            }
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
          })();
        });
    };
  }

  restHandler(): http.RequestListener {
    return (req, res) => {
      // A node's API server with `enabled-unsafe-cors = true` (app.toml [api]), as the devnet runs
      // wasmd's: a web page on another origin (the app's lease panel) may read the queries.
      res.setHeader("access-control-allow-origin", "*");
      if (req.method === "OPTIONS") {
        res.writeHead(204, { "access-control-allow-methods": "GET, OPTIONS", "access-control-allow-headers": "*" }).end();
        return;
      }
      try {
        const out = this.rest(new URL(req.url ?? "/", "http://127.0.0.1"));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
      } catch (e) {
        const err = e as Error & { http?: number; grpc?: number };
        res
          .writeHead(err.http ?? 500, { "content-type": "application/json" })
          .end(JSON.stringify({ code: err.grpc ?? 2, message: err.message, details: [] }));
      }
    };
  }
}
