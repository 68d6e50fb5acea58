import Foundation
import RBMStore
import RBMSystem
import Testing
@testable import RBMExperiments

/// The bracket as users reach it: `rbm evaluate --bracket`, `--betas-until-agree`, and
/// `evaluation.log_likelihood: bracket` in a config (metrics.csv, the checkpoint's history).
@Suite struct LogLikelihoodBracketTests {
    /// A small model of 8 hidden units, whose exact log Z can be enumerated.
    final class Lines: @unchecked Sendable { var all: [String] = [] }

    func trainedCheckpoint(_ folder: SyntheticIDXFolder, _ overrides: [String] = [], lines: Lines = Lines()) throws -> (String, RunResult) {
        var run = TrainingRun(config: try folder.config(["training.epochs=2", "model.hidden=8", "output.features=false",
                                                         "output.pictures=false"] + overrides), log: { lines.all.append($0) })
        run.progress = ProgressLine(enabled: false)
        let result = try run.run()
        return (RunFolder(path: result.folder).checkpoint, result)
    }

    @Test func evaluateBracketHoldsTheExactLogLikelihood() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (checkpoint, result) = try trainedCheckpoint(folder)
        let (status, output) = try Child(["evaluate", checkpoint, "--bracket", "--ais-betas", "3000", "--json"]).finish()
        #expect(status == 0, "\(output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let exact = result.model.exactLogPartitionFunction()
        let forward: Double = try #require(object["log_z"] as? Double)
        let reverse: Double = try #require(object["log_z_reverse"] as? Double)
        let forwardError: Double = try #require(object["log_z_standard_error"] as? Double)
        let reverseError: Double = try #require(object["log_z_reverse_standard_error"] as? Double)
        let forwardBound: Double = exact + 3 * forwardError + 0.01
        let reverseBound: Double = exact - 3 * reverseError - 0.01
        #expect(forward <= forwardBound, "AIS \(forward) ± \(forwardError), exact \(exact)")
        #expect(reverse >= reverseBound, "reverse \(reverse) ± \(reverseError), exact \(exact)")
        #expect(abs((object["log_z_exact"] as? Double ?? .nan) - exact) < 1e-6 * abs(exact))
        let meanFreeEnergy = try #require(object["mean_free_energy"] as? Double)
        #expect(abs((object["log_likelihood_lower"] as? Double ?? .nan) - (-meanFreeEnergy - reverse)) < 1e-9 * abs(reverse))
        #expect(abs((object["bracket_width"] as? Double ?? .nan) - (reverse - forward)) < 1e-9 * abs(reverse))
        #expect(object["bracket_disagrees"] as? Bool == false, "\(output)")
        #expect(object["reverse_points"] as? Int == 5 && object["reverse_chains_per_point"] as? Int == 20,
                "100 chains, 20 to each of 5 test rows: \(output)")
        let (_, onePerPoint) = try Child(["evaluate", checkpoint, "--bracket", "--ais-betas", "3000", "--json",
                                          "--reverse-chains-per-point", "1"]).finish()
        let single = try #require(try JSONSerialization.jsonObject(with: Data(onePerPoint.utf8)) as? [String: Any], "\(onePerPoint)")
        #expect(single["reverse_points"] as? Int == 40 && single["reverse_chains_per_point"] as? Int == 1,
                "one chain to each of the 40 test rows: \(onePerPoint)")
        #expect(single["log_z"] as? Double == forward, "AIS does not depend on reverse AIS's chains per point")

        let (textStatus, text) = try Child(["evaluate", checkpoint, "--bracket", "--ais-betas", "3000"]).finish()
        #expect(textStatus == 0, "\(text)")
        #expect(text.contains("log-likelihood bracket: [") && text.contains("(inside the bracket)"), "\(text)")
        #expect(!text.contains("warning:"), "\(text)")
    }

    /// Too few β: the sides disagree, the report says so and what helps; --betas-until-agree
    /// doubles the schedule round by round up to --max-betas.
    @Test func aDisagreementIsReportedAndBetasUntilAgreeDoublesTheSchedule() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (checkpoint, _) = try trainedCheckpoint(folder)
        let (status, output) = try Child(["evaluate", checkpoint, "--bracket", "--ais-betas", "3", "--bracket-warning", "0.01"]).finish()
        #expect(status == 0, "\(output)")
        #expect(output.contains("warning: AIS and reverse AIS disagree by") && output.contains("--betas-until-agree"), "\(output)")

        let (roundsStatus, roundsOutput) = try Child(["evaluate", checkpoint, "--betas-until-agree", "--ais-betas", "5",
                                                      "--bracket-warning", "0.0001", "--max-betas", "40", "--json"]).finish()
        #expect(roundsStatus == 0, "\(roundsOutput)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(roundsOutput.utf8)) as? [String: Any], "\(roundsOutput)")
        let rounds = try #require(object["bracket_rounds"] as? [[String: Any]], "\(roundsOutput)")
        #expect(rounds.last?["betas"] as? Int == 40, "\(roundsOutput)")
        #expect(object["log_z"] as? Double == rounds.last?["log_z"] as? Double, "\(roundsOutput)")
        #expect((object["log_z_method"] as? String)?.contains("40 β") == true, "\(roundsOutput)")

        let (text, textOutput) = try Child(["evaluate", checkpoint, "--betas-until-agree", "--ais-betas", "5",
                                            "--bracket-warning", "0.0001", "--max-betas", "40"]).finish()
        #expect(text == 0 && textOutput.contains("inverse temperatures per round: 5 β → "), "\(textOutput)")
        #expect(textOutput.contains("bracket at 20 β: width") && textOutput.contains(", 40 β → "), "\(textOutput)")
    }

    /// When reverse AIS sits above AIS by more than the warning, a second round runs both sides
    /// again at the same count, their β placed by where the two lagged, from seeds of its own;
    /// the report lists both rounds (text and JSON) and pools them: AIS's log Ẑ the log of the
    /// rounds' mean Ẑ (100 runs each), reverse AIS's within log 2 of its better round.
    @Test func aWideBracketGetsASecondLookAndTheReportPoolsItWithTheFirst() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (checkpoint, _) = try trainedCheckpoint(folder)
        let arguments = ["evaluate", checkpoint, "--bracket", "--ais-betas", "200", "--bracket-warning", "0.000001"]
        let (status, output) = try Child(arguments + ["--json"]).finish()
        #expect(status == 0, "\(output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let rounds = try #require(object["bracket_rounds"] as? [[String: Any]], "\(output)")
        try #require(rounds.count == 2, "\(output)")
        #expect(rounds.map { $0["schedule"] as? String } == ["paper", "lag-adapted"], "\(output)")
        let roundLogZ = try rounds.map { try #require($0["log_z"] as? Double) }
        let roundReverse = try rounds.map { try #require($0["log_z_reverse"] as? Double) }
        let roundWidth = try rounds.map { try #require($0["width"] as? Double) }
        for index in 0..<2 { #expect(abs(roundWidth[index] - (roundReverse[index] - roundLogZ[index])) < 1e-9) }
        // The second look's AIS draws from its own seed on its own β: another estimate of log Z.
        // The report pools the two rounds.
        #expect(roundLogZ[0] != roundLogZ[1])
        let largest = roundLogZ.max()!
        let pooled = largest + log((exp(roundLogZ[0] - largest) + exp(roundLogZ[1] - largest)) / 2)
        let reportedLogZ = try #require(object["log_z"] as? Double, "\(output)")
        let reportedReverse = try #require(object["log_z_reverse"] as? Double, "\(output)")
        #expect(abs(reportedLogZ - pooled) < 1e-9 * abs(pooled), "\(reportedLogZ) vs \(pooled)")
        #expect(reportedReverse <= roundReverse.min()! + log(2) + 1e-9, "\(reportedReverse) vs \(roundReverse)")
        #expect(object["bracket_pooled_rounds"] as? Int == 2 && object["reverse_chains_per_point"] as? Int == 40, "\(output)")
        #expect(object["reverse_schedule"] as? String == "lag-adapted", "\(output)")
        #expect((object["log_z_method"] as? String)?.contains("200 runs, 200 β in 2 rounds pooled") == true, "\(output)")
        let (textStatus, text) = try Child(arguments).finish()
        #expect(textStatus == 0, "\(text)")
        #expect(text.contains("inverse temperatures per round: 200 β → ") && text.contains(", 200 β (adapted) → ")
            && text.contains("; the report pools the 2 at 200 β"), "\(text)")
        #expect(text.contains("data points × 40 chains, 2 rounds pooled, the last with β placed by the lag;"), "\(text)")
        #expect(text.contains("; pooled with the round before: "), "\(text)")
        // The first round is the paper's schedule from the run's seed: the one-round bracket's,
        // bit for bit, and both rounds estimate the same log Z.
        let (_, paperOnly) = try Child(["evaluate", checkpoint, "--bracket", "--ais-betas", "200", "--json"]).finish()
        let paper = try #require(try JSONSerialization.jsonObject(with: Data(paperOnly.utf8)) as? [String: Any], "\(paperOnly)")
        #expect(paper["log_z"] as? Double == roundLogZ[0] && paper["log_z_reverse"] as? Double == roundReverse[0], "\(paperOnly)")
        #expect(paper["reverse_schedule"] as? String == "paper", "\(paperOnly)")
        let errors = try rounds.map { try #require($0["log_z_standard_error"] as? Double) }
        #expect(paper["log_z_standard_error"] as? Double == errors[0], "\(paperOnly)")
        #expect(abs(roundLogZ[0] - roundLogZ[1]) < 4 * (errors[0] + errors[1]) + 0.5, "\(roundLogZ)")
    }

    @Test func conflictingOrImpossibleBracketOptionsAreUsageErrors() throws {
        for (arguments, message) in [
            (["--bracket", "--exact"], "--exact, --ais and --bracket choose how to get log Z"),
            (["--betas-until-agree", "--ais"], "--betas-until-agree needs the bracket"),
            (["--bracket", "--bracket-warning", "0"], "--bracket-warning must be a positive number of nats"),
            (["--betas-until-agree", "--ais-betas", "100", "--max-betas", "50"], "--max-betas (50) must be at least --ais-betas (100)"),
            (["--ais-runs", "0"], "--ais-runs must be at least 1"),
        ] {
            let (status, output) = try Child(["evaluate", "x.h5"] + arguments).finish()
            #expect(status == 64 && output.contains(message), "\(arguments): \(output)")
        }
    }

    /// Periodic evaluation with `evaluation.log_likelihood: bracket` fills the conservative
    /// columns of metrics.csv and of the checkpoint's history, and sweeps can rank by it.
    @Test func aBracketInTheConfigIsRecordedEveryEvaluation() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let printed = Lines()
        let (checkpoint, result) = try trainedCheckpoint(folder, ["evaluation.every=1", "evaluation.log_likelihood=bracket",
                                                                  "evaluation.ais_betas=500", "evaluation.ais_runs=20",
                                                                  "evaluation.bracket_warning=0.000001"], lines: printed)
        // A warning too fine to meet: each evaluation's note names its epoch, counted from 1.
        #expect(printed.all.contains { $0.hasPrefix("note: epoch 1: AIS and reverse AIS") }, "\(printed.all)")
        #expect(printed.all.contains { $0.hasPrefix("note: epoch 2: AIS and reverse AIS") }, "\(printed.all)")
        let metrics = try String(contentsOfFile: RunFolder(path: result.folder).metrics, encoding: .utf8)
        let lines = metrics.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let lower = try #require(lines[0].firstIndex(of: "log_likelihood_lower"))
        let upper = try #require(lines[0].firstIndex(of: "log_likelihood"))
        let reverse = try #require(lines[0].firstIndex(of: "log_z_reverse"))
        #expect(lines.count == 3)
        for line in lines.dropFirst() {
            let conservative = try #require(Double(line[lower])), optimistic = try #require(Double(line[upper]))
            #expect(Double(line[reverse]) != nil && conservative <= optimistic + 0.5, "\(line)")
        }
        let saved = try Checkpoint.read(path: checkpoint)
        let recorded = try #require(saved.history["log_likelihood_lower"])
        #expect(recorded.count == 2 && recorded.allSatisfy { $0.isFinite })
        #expect(Metric.rankable.contains(.conservativeLogLikelihood) && Metric.conservativeLogLikelihood.higherIsBetter)
    }
}

extension LogLikelihoodBracketTests {
    /// `--seed` draws another independent estimate of the same model on the same data: the same
    /// seed repeats it exactly, another seed moves log Ẑ but not the data's free energy.
    @Test func anotherSeedIsAnotherEstimateOfTheSameModelAndData() throws {
        let folder = SyntheticIDXFolder()
        defer { folder.remove() }
        let (checkpoint, _) = try trainedCheckpoint(folder)
        func evaluate(_ seed: String) throws -> [String: Any] {
            let (status, output) = try Child(["evaluate", checkpoint, "--ais", "--ais-betas", "300", "--json", "--seed", seed]).finish()
            #expect(status == 0, "\(output)")
            return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        }
        let first = try evaluate("7"), again = try evaluate("7"), other = try evaluate("8")
        let logZ = { (object: [String: Any]) in object["log_z"] as? Double ?? .nan }
        #expect(logZ(first) == logZ(again))
        #expect(logZ(first) != logZ(other) && logZ(other).isFinite, "\(logZ(first)) vs \(logZ(other))")
        #expect(first["mean_free_energy"] as? Double == other["mean_free_energy"] as? Double)
    }
}

extension LogLikelihoodBracketTests {
    /// Agreement counts the sides' noise: a round agrees within w when |width| + 2·√(s_AIS² +
    /// s_reverse²) ≤ w, so a narrow width from a noisy side is no agreement; the report then warns
    /// that the sides may disagree and says what narrows them, where a narrow and quiet bracket
    /// gets no warning.
    @Test func aNarrowBracketFromNoisySidesIsNotAgreement() {
        // The categorical CD-1 model's round: 0.11 nats apart, AIS's standard error 0.91.
        let noisy = BracketRound(betas: 14_500, logPartitionFunction: 639.503, standardError: 0.914,
                                 reverseLogPartitionFunction: 639.609, reverseStandardError: 0.279)
        #expect(abs(noisy.widthNoise - 2 * (0.914 * 0.914 + 0.279 * 0.279).squareRoot()) < 1e-12)
        #expect(!noisy.agrees(within: 1) && noisy.agrees(within: 2.1))
        let quiet = BracketRound(betas: 14_500, logPartitionFunction: 924.53, standardError: 0.1,
                                 reverseLogPartitionFunction: 924.65, reverseStandardError: 0.08)
        #expect(quiet.agrees(within: 1) && !quiet.agrees(within: 0.3))
        let crossed = BracketRound(betas: 14_500, logPartitionFunction: 10, standardError: 0.05,
                                   reverseLogPartitionFunction: 9.5, reverseStandardError: 0.05)
        #expect(crossed.agrees(within: 1) && !crossed.agrees(within: 0.5), "a crossing counts by its size")

        func report(_ round: BracketRound) -> EvaluationReport {
            var report = EvaluationReport(split: "test", samples: 100, reconstructionError: 1, meanFreeEnergy: -450,
                                          seconds: 1)
            report.logPartitionFunction = round.logPartitionFunction
            report.logPartitionStandardError = round.standardError
            report.reverseLogPartitionFunction = round.reverseLogPartitionFunction
            report.reverseStandardError = round.reverseStandardError
            report.bracketRounds = [round]
            return report
        }
        let noisyReport = report(noisy), quietReport = report(quiet)
        #expect(!noisyReport.bracketDisagrees && noisyReport.bracketUncertain)
        #expect(!quietReport.bracketDisagrees && !quietReport.bracketUncertain)
        let warning = noisyReport.bracketLines.first { $0.hasPrefix("warning:") } ?? ""
        #expect(warning.contains("0.11 nats apart") && warning.contains("--ais-runs"), "\(noisyReport.bracketLines)")
        #expect(!quietReport.bracketLines.contains { $0.hasPrefix("warning:") }, "\(quietReport.bracketLines)")
    }
}
