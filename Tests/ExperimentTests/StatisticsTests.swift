import Testing
@testable import Experiments

/// The statistics of the tables against values computed independently (SciPy's `t.ppf` and
/// `ttest_ind(equal_var=False)`).
@Suite struct StatisticsTests {
    @Test func meanAndSpreadAreTheSampleStatistics() {
        let (mean, spread) = Statistics.meanAndSpread([0.90, 0.92, 0.94])
        #expect(abs(mean - 0.92) < 1e-12)
        #expect(abs(spread - 0.02) < 1e-12)
        #expect(Statistics.meanAndSpread([0.5]) == (0.5, 0))
    }

    @Test(arguments: [(1.0, 12.706204736174694), (2, 4.302652729749462), (2.5, 3.5746548420036817), (4, 2.7764451051977934),
                      (10, 2.228138851986274), (30, 2.0422724563012378), (1e6, 1.959966356814107)])
    func studentTQuantilesMatchTheTables(degreesOfFreedom: Double, expected: Double) {
        let t = Statistics.studentTQuantile(0.975, degreesOfFreedom: degreesOfFreedom)
        #expect(abs(t - expected) < 1e-7 * expected, "t(0.975, \(degreesOfFreedom)) = \(t), expected \(expected)")
        #expect(abs(Statistics.studentTCDF(expected, degreesOfFreedom: degreesOfFreedom) - 0.975) < 1e-9)
        #expect(abs(Statistics.studentTCDF(-expected, degreesOfFreedom: degreesOfFreedom) - 0.025) < 1e-9)
    }

    @Test func welchIntervalMatchesAnIndependentComputation() throws {
        let interval = try #require(Statistics.welchInterval([0.9231, 0.9187], [0.9102, 0.9150, 0.9190]))
        #expect(abs(interval.difference * 100 - 0.6166666666666654) < 1e-9)
        #expect(abs(interval.low * 100 - -0.47843696789635004) < 1e-6)
        #expect(abs(interval.high * 100 - 1.7117703012296808) < 1e-6)
        #expect(abs(interval.degreesOfFreedom - 2.8839470695123257) < 1e-9)
    }

    @Test func welchIntervalNeedsTwoValuesPerGroupAndCollapsesWithoutSpread() throws {
        #expect(Statistics.welchInterval([0.9], [0.8, 0.85]) == nil)
        let flat = try #require(Statistics.welchInterval([0.9, 0.9], [0.8, 0.8]))
        #expect(abs(flat.difference - 0.1) < 1e-12 && flat.low == flat.difference && flat.high == flat.difference)
    }
}
