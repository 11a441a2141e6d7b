// The web app's DAO page (#/model/<id>/dao) in a real browser (Debian's headless Chromium through
// playwright-core), end to end on two `hardhat node`s with the indexer and the relay: the
// injected wallet's own model (DAO share 20%) gets a DAO created in the page; a sale's DAO share
// reaches the treasury once settled; a member proposes an infrastructure spend, votes, and
// executes it, and the payee is paid from the treasury. Error paths: a vote before voting opens,
// a refused signature, a bad amount and a non-member's proposal are explained and send nothing.
// Every step is checked on chain (registry, governor, membership, balances), not only on text.
// Screenshots go to app/test-results/dao-*.png (gitignored).
// Run: npx hardhat test test/app/dao.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import { id, NonceManager, parseEther, toBeHex, Wallet, ZeroAddress } from "ethers";
import * as hexs from "../../sdk";
import { metadataUri, startStack, type Stack } from "./helpers/stack";
import { portRange } from "../lz/helpers/twoNodes";
import {
  accessibilityViolations,
  injectWallet,
  launch,
  serveApp,
  TestWallet,
  type Browser,
  type Page,
  screenshot,
  failedShot,
} from "./helpers/browser";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";

describe("web app in headless Chromium: a model's DAO (members, treasury, propose, vote, execute)", function () {
  this.timeout(600_000);
  let s: Stack;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let page: Page;
  let wallet: TestWallet; // the page's wallet: the model's creator, a member
  let creatorWallet: TestWallet;
  let outsider: TestWallet; // funded, not a member
  let chains: hexs.EvmChain[];
  let own: bigint;
  let A: hexs.HexsContracts;
  const member2 = Wallet.createRandom().address;
  const payee = Wallet.createRandom().address;
  const pageErrors: string[] = [];

  const shot = (name: string) => screenshot(page, name);
  const sends = () => wallet.requests.filter((r) => r === "eth_sendTransaction").length;
  const sectionA = () => page.locator('section[data-chain="1"]');
  const governor = async () => hexs.governorOf(A, own);
  const mine = (n: number) => s.nodes.a.node.provider.send("hardhat_mine", [toBeHex(n)]);

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    site = await serveApp(
      s.nodes.dir,
      { indexerUrl: s.indexer.url, chains: s.registry.chains },
      process.env.HEXS_PORT_RANGE ? portRange().lo + 80 : undefined,
    );
    const fund = async (w: Wallet) => {
      for (const n of [s.nodes.a, s.nodes.b])
        await n.node.provider.send("hardhat_setBalance", [w.address, toBeHex(parseEther("10"))]);
    };
    const key = new Wallet(Wallet.createRandom().privateKey);
    const other = new Wallet(Wallet.createRandom().privateKey);
    await fund(key);
    await fund(other);
    creatorWallet = new TestWallet(key, chains, chains[0].evmChainId!);
    outsider = new TestWallet(other, chains, chains[0].evmChainId!);
    wallet = creatorWallet;
    // The wallet's own model on A: 20% of every sale goes to its DAO once it has one.
    const me = new NonceManager(key.connect(wallet.provider(chains[0].evmChainId)));
    own = (
      await hexs.publish(hexs.connectContracts(chains[0], me), me, {
        contentCommitment: id("dao model sdl"),
        metadataUri: metadataUri("Guild Diffusion XL", "An image model its community funds through a DAO."),
        daoBps: 2000,
      })
    ).modelId;
    await hexs.setPrice(hexs.connectContracts(chains[0], me), me, {
      modelId: own,
      currency: hexs.NATIVE,
      keyPrice: parseEther("0.05"),
    });
    await s.relay();
    await s.indexer.caughtUp();

    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectWallet(page, () => wallet);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) await shot(failedShot("failed-", this.currentTest.title));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (s) await s.stop();
  });

  it("the model page links to its DAO; with none yet, its creator creates one in the page with two members", async () => {
    await page.goto(`${site.url}#/model/${own}`);
    await page.getByRole("link", { name: "Members, treasury and proposals on each chain" }).click();
    await page.getByRole("heading", { name: "DAO of Guild Diffusion XL" }).waitFor({ timeout: 30_000 });
    await sectionA().getByTestId("dao-missing").filter({ hasText: "No DAO on Devnet A yet." }).waitFor({ timeout: 30_000 });
    expect(await page.locator('section[data-chain="2"]').innerText()).to.contain("No DAO on Devnet B yet.");
    await sectionA()
      .getByLabel("Founding members (addresses, one per line or separated by commas)")
      .fill(`${wallet.address}\n${member2}`);
    await sectionA().getByLabel("Voting period (blocks)").fill("5");
    await sectionA().getByRole("button", { name: "Create DAO" }).click();
    await page.getByTestId("dao-done").filter({ hasText: "DAO created on Devnet A with 2 members" }).waitFor({ timeout: 30_000 });
    const gov = await governor();
    expect(await A.registry.daoOf(own)).to.equal(await gov.getAddress());
    const membership = hexs.membershipAt(A, await gov.token());
    expect(await membership.isMember(wallet.address)).to.equal(true);
    expect(await membership.isMember(member2)).to.equal(true);
    expect(await gov.votingPeriod()).to.equal(5n);
    // the page reads the new DAO back: both members, one vote each
    const members = page.getByRole("table", { name: "members on Devnet A" });
    await members.locator(`tr[data-member="${member2.toLowerCase()}"]`).waitFor({ timeout: 30_000 });
    expect(await members.locator(`tr[data-member="${wallet.address.toLowerCase()}"]`).innerText()).to.match(/\(you\)\s+1 of 2/);
  });

  it("a sale's DAO share shows in the treasury once the model's vault is settled", async () => {
    const buyer = await s.nodes.a.signer(4);
    const bought = await hexs.buy(hexs.connectContracts(chains[0], buyer), buyer, { modelId: own, currency: hexs.NATIVE });
    expect(bought.keyId > 0n).to.equal(true);
    await hexs.settle(hexs.connectContracts(chains[0], buyer), buyer, { modelId: own, currency: hexs.NATIVE, levels: 1n });
    const treasury = await (await governor()).treasury(ZeroAddress);
    expect(treasury > 0n).to.equal(true);
    await sectionA().locator(`[data-testid="treasury"] li[data-amount="${treasury}"]`).waitFor({ timeout: 30_000 });
    expect(await sectionA().getByTestId("treasury").innerText()).to.contain("ETH");
    await shot("dao-treasury");
    const v = await accessibilityViolations(page);
    expect(v, JSON.stringify(v, null, 1)).to.deep.equal([]);
  });

  it("a bad amount is refused before anything is signed", async () => {
    const before = sends();
    await sectionA().getByLabel("Pay to (address)").fill(payee);
    await sectionA().getByLabel("Amount").fill("a lot");
    await sectionA()
      .getByLabel("Purpose (what the money is for, e.g. akash-escrow:<owner>/<dseq>)")
      .fill("akash-escrow:akash1guild/42");
    await sectionA().getByRole("button", { name: "Propose" }).click();
    const alert = page.getByTestId("dao-error");
    await alert.filter({ hasText: "Please check what you entered" }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.contain("Bad amount 'a lot': write an amount of ETH, such as 0.01");
    expect(sends()).to.equal(before);
    expect((await (await governor()).queryFilter((await governor()).filters.ProposalCreated())).length).to.equal(0);
  });

  it("a member proposes an infrastructure spend: the proposal is on chain and listed as pending", async () => {
    await sectionA().getByLabel("Amount").fill("0.002");
    await sectionA().getByRole("button", { name: "Propose" }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: /Proposal made: voting opens after block \d+/ })
      .waitFor({ timeout: 30_000 });
    const gov = await governor();
    const [created] = await gov.queryFilter(gov.filters.ProposalCreated());
    expect(created.args.proposer).to.equal(wallet.address);
    expect(created.args.description).to.contain("akash-escrow:akash1guild/42");
    const pid = created.args.proposalId;
    expect(hexs.PROPOSAL_STATES[Number(await gov.state(pid))]).to.equal("Pending");
    const card = sectionA().locator(`li[data-proposal="${pid}"]`);
    await card.waitFor({ timeout: 30_000 });
    expect(await card.getAttribute("data-state")).to.equal("Pending");
    expect(await card.innerText()).to.contain(`Pay 0.002 ETH to ${payee}`);
    expect(await card.innerText()).to.contain("Purpose: akash-escrow:akash1guild/42");
    await shot("dao-proposed");
  });

  it("a vote before voting opens is explained (wait for the block) and sends nothing", async () => {
    const gov = await governor();
    const [created] = await gov.queryFilter(gov.filters.ProposalCreated());
    const pid = created.args.proposalId;
    // the node mines only on transactions: the snapshot block is still ahead
    expect(BigInt(await s.nodes.a.node.provider.getBlockNumber()) + 1n <= (await gov.proposalSnapshot(pid))).to.equal(true);
    const before = sends();
    await sectionA()
      .getByRole("button", { name: `Vote for proposal ${pid}` })
      .click();
    const alert = page.getByTestId("dao-error");
    await alert.filter({ hasText: "opens after block" }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.contain("wait for the chain to reach it, then press the button again");
    expect(await alert.innerText()).to.not.contain("--fast-forward");
    expect(sends()).to.equal(before);
    expect(await gov.hasVoted(pid, wallet.address)).to.equal(false);
  });

  it("a refused vote signature says 'Signature rejected' and nothing is counted", async () => {
    await mine(2);
    const gov = await governor();
    const [created] = await gov.queryFilter(gov.filters.ProposalCreated());
    const pid = created.args.proposalId;
    await page.waitForFunction(() => document.querySelector('li[data-proposal][data-state="Active"]') !== null, undefined, {
      timeout: 30_000,
    });
    wallet.modes = { rejectSign: true };
    try {
      await sectionA()
        .getByRole("button", { name: `Vote for proposal ${pid}` })
        .click();
      const alert = page.getByTestId("dao-error");
      await alert.filter({ hasText: "Signature rejected" }).waitFor({ timeout: 30_000 });
      expect(await alert.innerText()).to.contain("Nothing was sent and nothing was paid");
    } finally {
      wallet.modes = {};
    }
    expect(await gov.hasVoted(pid, wallet.address)).to.equal(false);
    expect((await gov.proposalVotes(pid)).map((x) => x)).to.deep.equal([0n, 0n, 0n]);
  });

  it("votes for the proposal: the governor counts the member's vote", async () => {
    const gov = await governor();
    const [created] = await gov.queryFilter(gov.filters.ProposalCreated());
    const pid = created.args.proposalId;
    await sectionA()
      .getByRole("button", { name: `Vote for proposal ${pid}` })
      .click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: "Vote counted (1 vote): for 1, against 0, abstain 0" })
      .waitFor({ timeout: 30_000 });
    expect(await gov.hasVoted(pid, wallet.address)).to.equal(true);
    const [against, forVotes, abstain] = await gov.proposalVotes(pid);
    expect([against, forVotes, abstain]).to.deep.equal([0n, 1n, 0n]);
    await sectionA()
      .locator(`li[data-proposal="${pid}"]`)
      .getByTestId("proposal-state")
      .filter({ hasText: "for 1, against 0" })
      .waitFor({ timeout: 30_000 });
    await shot("dao-voted");
  });

  it("once voting closes the proposal passed; Execute pays the payee from the treasury", async () => {
    const gov = await governor();
    const [created] = await gov.queryFilter(gov.filters.ProposalCreated());
    const pid = created.args.proposalId;
    await mine(6);
    expect(hexs.PROPOSAL_STATES[Number(await gov.state(pid))]).to.equal("Succeeded");
    expect(await gov.proposalNeedsQueuing(pid)).to.equal(false);
    const card = sectionA().locator(`li[data-proposal="${pid}"]`);
    await card.filter({ hasText: "no queue step: this DAO executes directly" }).waitFor({ timeout: 30_000 });
    await shot("dao-passed");
    const treasuryBefore = await gov.treasury(ZeroAddress);
    const payeeBefore = await s.nodes.a.node.provider.getBalance(payee);
    await card.getByRole("button", { name: `Execute proposal ${pid}` }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: `Executed: 0.002 ETH paid to ${payee}` })
      .waitFor({ timeout: 30_000 });
    expect(hexs.PROPOSAL_STATES[Number(await gov.state(pid))]).to.equal("Executed");
    expect((await s.nodes.a.node.provider.getBalance(payee)) - payeeBefore).to.equal(parseEther("0.002"));
    expect(treasuryBefore - (await gov.treasury(ZeroAddress))).to.equal(parseEther("0.002"));
    const funded = await gov.queryFilter(gov.filters.InfrastructureFunded());
    expect(funded.map((e) => [e.args.to, e.args.amount, e.args.purpose])).to.deep.equal([
      [payee, parseEther("0.002"), "akash-escrow:akash1guild/42"],
    ]);
    await card.filter({ hasText: "Executed: paid from the treasury" }).waitFor({ timeout: 30_000 });
    await shot("dao-executed");
  });

  it("a wallet that is not a member is told so when it proposes, and nothing is sent", async () => {
    wallet = outsider;
    await page.goto(`${site.url}#/`);
    await page.goto(`${site.url}#/model/${own}/dao`);
    await page.evaluate(() => location.reload());
    await sectionA().filter({ hasText: "Your wallet is not a member of this DAO" }).waitFor({ timeout: 30_000 });
    const before = sends();
    await sectionA().getByLabel("Pay to (address)").fill(outsider.address);
    await sectionA().getByLabel("Amount").fill("0.001");
    await sectionA().getByLabel("Purpose (what the money is for, e.g. akash-escrow:<owner>/<dseq>)").fill("my own server");
    await sectionA().getByRole("button", { name: "Propose" }).click();
    const alert = page.getByTestId("dao-error");
    await alert.filter({ hasText: "Not allowed" }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.contain(`${outsider.address} is not a member of model`);
    expect(await alert.innerText()).to.not.contain("--from");
    expect(sends()).to.equal(before);
    const gov = await governor();
    expect((await gov.queryFilter(gov.filters.ProposalCreated())).length).to.equal(1);
    await shot("dao-not-member");
  });

  it("the creator adds the outsider as a member and removes another; adding an existing member is refused before signing", async () => {
    wallet = creatorWallet;
    await page.evaluate(() => location.reload());
    const members = page.getByRole("table", { name: "members on Devnet A" });
    await members.locator(`tr[data-member="${member2.toLowerCase()}"]`).waitFor({ timeout: 30_000 });
    const membership = hexs.membershipAt(A, await (await governor()).token());
    await sectionA().getByLabel("New member (address)").fill(outsider.address);
    await sectionA().getByRole("button", { name: "Add member" }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: `${outsider.address} is now a member on Devnet A (1 vote)` })
      .waitFor({ timeout: 30_000 });
    expect(await membership.isMember(outsider.address)).to.equal(true);
    expect(await membership.getVotes(outsider.address)).to.equal(1n);
    await members.locator(`tr[data-member="${outsider.address.toLowerCase()}"]`).waitFor({ timeout: 30_000 });
    // again: refused with the reason, nothing signed
    const before = sends();
    await sectionA().getByRole("button", { name: "Add member" }).click();
    const alert = page.getByTestId("dao-error");
    await alert.filter({ hasText: "is already a member" }).waitFor({ timeout: 30_000 });
    expect(sends()).to.equal(before);
    // remove member2
    await members.getByRole("button", { name: `Remove member ${member2}` }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: `${member2} is no longer a member on Devnet A` })
      .waitFor({ timeout: 30_000 });
    expect(await membership.isMember(member2)).to.equal(false);
    expect(await membership.getVotes(member2)).to.equal(0n);
    await members.locator(`tr[data-member="${member2.toLowerCase()}"]`).waitFor({ state: "detached", timeout: 30_000 });
    await shot("dao-members");
    expect(pageErrors).to.deep.equal([]);
  });
});
