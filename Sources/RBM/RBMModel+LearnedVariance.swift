/// Gaussian visible units with learned variances (`model.learn_variance`).
///
/// With z_i = log σ_i² per visible unit (`visibleLogVariance`) the energy is
///
///     E(v, h) = Σ_i (v_i/σ_i − b_i)²/2 − Σ_ij (v_i/σ_i) W_ij h_j − cᵀh,
///
/// the unit-variance RBM (W, b, c) on the scaled values u = v/σ. Conditionals:
///
///     v_i | h ~ N(σ_i (b_i + (Wh)_i), σ_i²)        P(h_j = 1 | v) = σ(c_j + Σ_i (v_i/σ_i) W_ij)
///
/// It is Hinton's form (Σ (v_i − b̃_i)²/(2σ_i²) − Σ (v_i/σ_i) W h) with b̃ = σ ⊙ b, and Cho, Ilin
/// & Raiko's (2011; (v_i/σ_i²) W̃_ij h_j) with W̃_ij = σ_i W_ij: the same family. This
/// parameterisation is chosen because σ enters only as the data's scale:
///
/// - the distribution of u does not depend on σ, so samplers, parallel tempering, AIS, reverse
///   AIS and exact log Z all run on the unit-variance model unchanged, and persistent chains
///   (kept as u) stay at equilibrium when σ moves;
/// - p(v) = p_u(v/σ) / Π_i σ_i, so log Z_v = log Z_u + Σ_i log σ_i and F_v(v) = F_u(v/σ);
/// - the log-likelihood's gradient in z is exact, with no model term (the change of σ moves
///   only the Jacobian):
///
///       ∂ log p(v)/∂z_i = ½ u_i (u_i − b_i − (W P(h|u))_i) − ½.
///
/// The trainer gets Σ_rows u_i (W P(h|u))_i = Σ_j W_ij (Σ_rows u P(h|u)ᵀ)_ij from the positive
/// statistic it computes anyway (`DataParallelTrainer.varianceStatistics`).
extension RBMModel {
    /// σ_i = exp(z_i/2), or nil for unit variances.
    public var visibleStandardDeviations: [Float]? {
        visibleLogVariance.map { $0.map { Float(_exp(Double($0) / 2)) } }
    }

    /// 1/σ_i = exp(−z_i/2), rounded once from double precision: what the trainer and every
    /// evaluation multiply the data by (the same bits everywhere).
    @inlinable
    public static func inverseStandardDeviation(logVariance z: Float) -> Float { Float(_exp(-Double(z) / 2)) }

    /// u = v/σ for `rows` rows of visible values: the unit-variance model's coordinates (the
    /// values themselves when the variances are fixed).
    public func unitVarianceCoordinates(_ visible: [Float], rows: Int) -> [Float] {
        guard let z = visibleLogVariance else { return visible }
        precondition(visible.count == rows * visibleCount)
        let inverse = z.map(Self.inverseStandardDeviation)
        var scaled = visible
        for row in 0..<rows {
            for i in 0..<visibleCount { scaled[row * visibleCount + i] *= inverse[i] }
        }
        return scaled
    }

    /// v = σ ⊙ u: the unit-variance model's values (samples, means) in the data's coordinates.
    public func dataCoordinates(_ scaled: [Float], rows: Int) -> [Float] {
        guard let deviations = visibleStandardDeviations else { return scaled }
        precondition(scaled.count == rows * visibleCount)
        var values = scaled
        for row in 0..<rows {
            for i in 0..<visibleCount { values[row * visibleCount + i] *= deviations[i] }
        }
        return values
    }

    /// Σ_i log σ_i = ½ Σ_i z_i (0 for unit variances): log Z of the model on v less log Z of the
    /// unit-variance model on u.
    public var logScaleDeterminant: Double {
        (visibleLogVariance ?? []).reduce(0) { $0 + Double($1) / 2 }
    }

    /// The same model without its variances: the unit-variance RBM on u = v/σ.
    public var unitVarianceModel: RBMModel {
        var model = self
        model.visibleLogVariance = nil
        return model
    }
}
