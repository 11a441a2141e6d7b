// The devnet's gas sponsor services as supervised children (devnet/aa/stand.ts
// startSponsorServices, which `npm run devnet` runs once per EVM chain, devnet/sponsor.ts): the
// real alto bundler and the policy signer process, against the in-process Hardhat chain served
// over JSON-RPC with EntryPoint v0.7 and HexsPaymaster deployed. Each one killed is reported as a
// non-fatal exit and started again through the control endpoint (`npm run devnet -- restart
// alto | policy-signer`, and for chain B's pair `alto-b | policy-signer-b`), and answers again.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import { controlCommand, startControl } from "../../devnet/control";
import { Supervisor, waitFor, type Child } from "../../devnet/procs";
import { firstFreePort } from "../../devnet/app";
import { installDeterministicDeployer, startSponsorServices } from "../../devnet/aa/stand";
import { SPONSOR_LAYOUT } from "../../devnet/sponsor";
import type { SponsorDeployment } from "../../devnet/aa/deploy";
import { deployAa } from "../../devnet/hardhat/aa";
import { serveChain } from "../serve-chain";

describe("devnet gas sponsor: alto and the policy signer are supervised, reported and restartable", function () {
  this.timeout(180_000);
  let dir: string;
  let sup: Supervisor;
  let rpc: { url: string; close(): Promise<void> };
  let control: { url: string; close(): Promise<void> };
  const exits: { name: string; fatal: boolean }[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-sponsor-"));
    sup = new Supervisor(path.join(dir, "logs"));
    sup.onUnexpectedExit = (c: Child) => exits.push({ name: c.name, fatal: c.fatal });
    rpc = await serveChain({ from: 18950, to: 18969 });
    control = await startControl(sup, path.join(dir, "control.json"), 0);
  });
  after(async () => {
    await network.provider.send("evm_setIntervalMining", [0]);
    await sup.stopAll();
    await control.close();
    await rpc.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("kill -9 of alto and of the policy signer, chain A's pair and chain B's (alto-b, policy-signer-b): each exit is reported (not fatal), `restart <name>` starts it with its command and it answers again", async () => {
    const f = await deployAa();
    await installDeterministicDeployer(new ethers.JsonRpcProvider(rpc.url, undefined, { staticNetwork: true }));
    await network.provider.send("evm_setIntervalMining", [250]); // alto waits for blocks
    const d = {
      chainId: f.chainId.toString(),
      entryPoint: await f.entryPoint.getAddress(),
      factory: String(f.factory.target),
      paymaster: await f.paymaster.getAddress(),
    } as SponsorDeployment;
    // Chain A's pair and chain B's pair under the names the devnet gives them (both against this
    // one chain here: what is tested is that each pair is supervised and restartable on its own).
    const pairs = [];
    let next = 18980;
    for (const chain of ["devnetA", "devnetB"]) {
      const bundler = await firstFreePort(next);
      const ports = { bundler, policy: await firstFreePort(bundler + 1) };
      next = ports.policy + 1;
      const sdir = path.join(dir, chain);
      const started = await startSponsorServices(sup, {
        rpcUrl: rpc.url,
        d,
        ports,
        dir: sdir,
        names: SPONSOR_LAYOUT[chain].names,
      });
      expect(JSON.parse(fs.readFileSync(path.join(sdir, "sponsor.json"), "utf8"))).to.deep.equal(started.sponsor);
      pairs.push(started);
    }
    expect(pairs.map((p) => [p.alto.name, p.policy.name])).to.deep.equal([
      ["alto", "policy-signer"],
      ["alto-b", "policy-signer-b"],
    ]);

    for (const { sponsor, alto, policy } of pairs) {
      const altoAnswers = async () => {
        const res = await fetch(sponsor.bundlerUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_supportedEntryPoints", params: [] }),
        });
        return ((await res.json()) as { result: string[] }).result
          .map((e) => e.toLowerCase())
          .includes(d.entryPoint.toLowerCase());
      };
      // the policy signer parses the request before anything else: a bad one gets its reason
      const policyAnswers = async () => {
        const res = await fetch(sponsor.policyUrl, { method: "POST", body: JSON.stringify({ chainId: d.chainId, userOp: {} }) });
        return res.status === 400 && ((await res.json()) as { error: string }).error === "userOp.sender missing";
      };
      expect(await altoAnswers()).to.equal(true);
      expect(await policyAnswers()).to.equal(true);

      for (const [c, answers] of [
        [alto, altoAnswers],
        [policy, policyAnswers],
      ] as const) {
        process.kill(c.pid, "SIGKILL");
        await waitFor(`${c.name}'s exit report`, 10_000, async () => exits.some((e) => e.name === c.name));
        expect(exits.find((e) => e.name === c.name)).to.deep.equal({ name: c.name, fatal: false });
        expect(await controlCommand(path.join(dir, "control.json"), ["status"])).to.match(
          new RegExp(`${c.name}\\s+exited \\(SIGKILL\\)`),
        );
        expect(await answers().catch(() => false)).to.equal(false);
        expect(await controlCommand(path.join(dir, "control.json"), ["restart", c.name])).to.match(
          new RegExp(`^restarted ${c.name} \\(pid \\d+\\)`),
        );
        await waitFor(`${c.name} to answer again`, 60_000, answers);
        expect(sup.status().find((s) => s.name === c.name)).to.include({ running: true, restarts: 1 });
      }
    }
    // the other pair's processes were never touched by these restarts
    expect(exits.map((e) => e.name)).to.deep.equal(["alto", "policy-signer", "alto-b", "policy-signer-b"]);
  });
});
